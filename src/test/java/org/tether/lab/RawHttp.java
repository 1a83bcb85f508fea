package org.tether.lab;

import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP/1.1 on a bare socket: the request line goes out exactly as written (no client normalises the path,
 * as curl and java.net.http do), which is what a path-spelling test needs.
 */
public final class RawHttp {
    private final String host;
    private final int port;
    private final SSLSocketFactory tls;

    public RawHttp(String host, int port) {
        this(host, port, null);
    }

    public RawHttp(String host, int port, SSLSocketFactory tls) {
        this.host = host;
        this.port = port;
        this.tls = tls;
    }

    public record Answer(int status, String body) {
    }

    public Answer send(String method, String rawPath, Map<String, String> headers, String body) throws IOException {
        byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Host", host + ":" + port);
        h.put("Connection", "close");
        if (body != null) {
            h.put("Content-Type", "application/json");
        }
        h.put("Content-Length", Integer.toString(payload.length));
        h.putAll(headers);
        StringBuilder head = new StringBuilder(method + " " + rawPath + " HTTP/1.1\r\n");
        h.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("\r\n");
        try (Socket s = tls == null ? new Socket(host, port) : tls.createSocket(host, port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(payload);
            out.flush();
            String answer = new String(readAll(s.getInputStream()), StandardCharsets.UTF_8);
            int sp = answer.indexOf(' ');
            if (sp < 0) {
                throw new IOException("no status line in: " + answer);
            }
            int status = Integer.parseInt(answer.substring(sp + 1, sp + 4));
            int split = answer.indexOf("\r\n\r\n");
            return new Answer(status, split < 0 ? "" : answer.substring(split + 4));
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }
}

package org.tether.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A page of docs/ made from the code: written again with {@code -Ddocs.write=true}, else compared. */
final class GeneratedPage {
    private GeneratedPage() {
    }

    static void check(Path page, String generated, String test) throws IOException {
        if (Boolean.getBoolean("docs.write")) {
            Files.createDirectories(page.getParent());
            Files.writeString(page, generated);
        }
        assertThat(Files.exists(page)).as(page + " exists").isTrue();
        assertThat(Files.readString(page)).as(page + " differs from the code: run mvn test -Pfast -Dtest=" + test
                + " -Ddocs.write=true and commit it").isEqualTo(generated);
    }
}

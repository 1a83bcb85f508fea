package org.tether.storage.volume;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few libc calls the file backend and volume copies make that Java has no API for. */
interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_CREAT = 0100;
    int O_EXCL = 0200;

    int open(String path, int flags);

    int open(String path, int flags, int mode);

    long lseek(int fd, long offset, int whence);

    int ioctl(int fd, long request, int arg);

    int close(int fd);
}

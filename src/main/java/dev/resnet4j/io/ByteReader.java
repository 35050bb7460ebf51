package dev.resnet4j.io;

import java.nio.charset.StandardCharsets;

/**
 * Little-endian cursor over an in-memory file with every read bounds-checked.
 *
 * <p>All sizes that come from a file are checked here against the bytes that remain, before
 * anything is allocated: a hostile 16-byte file cannot make us allocate more than 16 bytes.
 */
final class ByteReader {
    private final byte[] buf;
    private final int end;
    private final String source;
    private int pos;

    ByteReader(byte[] buf, String source) {
        this(buf, 0, buf.length, source);
    }

    ByteReader(byte[] buf, int start, int end, String source) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.source = source;
    }

    String source() {
        return source;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    byte[] buffer() {
        return buf;
    }

    FormatException fail(String fault) {
        return new FormatException(source, fault);
    }

    /** Checks that {@code n} more bytes exist and returns n as an int. */
    int require(long n, String what) throws FormatException {
        if (n < 0 || n > remaining()) {
            throw fail(what + " needs " + n + " bytes at offset " + pos + " but only " + remaining() + " remain");
        }
        return (int) n;
    }

    int u8() throws FormatException {
        require(1, "a byte");
        return buf[pos++] & 0xff;
    }

    int u16() throws FormatException {
        require(2, "a 2-byte integer");
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    int i32() throws FormatException {
        require(4, "a 4-byte integer");
        int v = getI32(buf, pos);
        pos += 4;
        return v;
    }

    long u32() throws FormatException {
        return i32() & 0xffffffffL;
    }

    long i64() throws FormatException {
        require(8, "an 8-byte integer");
        long v = getI64(buf, pos);
        pos += 8;
        return v;
    }

    /** Start offset of a slice of {@code n} bytes, advancing past it. */
    int skip(long n, String what) throws FormatException {
        int len = require(n, what);
        int start = pos;
        pos += len;
        return start;
    }

    byte[] bytes(long n, String what) throws FormatException {
        int start = skip(n, what);
        byte[] out = new byte[(int) n];
        System.arraycopy(buf, start, out, 0, out.length);
        return out;
    }

    String latin1(long n, String what) throws FormatException {
        int start = skip(n, what);
        return new String(buf, start, (int) n, StandardCharsets.ISO_8859_1);
    }

    static int getI32(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8 | (b[p + 2] & 0xff) << 16 | (b[p + 3] & 0xff) << 24;
    }

    static long getI64(byte[] b, int p) {
        return (getI32(b, p) & 0xffffffffL) | ((long) getI32(b, p + 4)) << 32;
    }

    static int getU16(byte[] b, int p) {
        return (b[p] & 0xff) | (b[p + 1] & 0xff) << 8;
    }
}

package dev.resnet4j.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * Reader and writer for the IDX files of MNIST and Fashion-MNIST, gzipped or not.
 *
 * <p>Format: a big-endian magic {@code 0x0000TTNN} (TT = element type, 0x08 = unsigned byte;
 * NN = number of dimensions), NN big-endian int32 dimensions, then the elements. Images are
 * {@code 0x00000803} (count, rows, cols), labels {@code 0x00000801} (count). The header is
 * checked against the data length before anything large is allocated, and the payload buffer
 * grows only as data actually arrives, so a lying header cannot make us allocate gigabytes.
 */
public final class Idx {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;
    private static final int GZIP_MAGIC = 0x1f8b;

    private Idx() {
    }

    /** Images of an IDX3 file: {@code count} images of rows×cols unsigned bytes. */
    public record Images(int count, int rows, int cols, byte[] pixels) {
    }

    public static Images readImages(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return readImages(in, file.toString(), Files.size(file));
        }
    }

    public static byte[] readLabels(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return readLabels(in, file.toString(), Files.size(file));
        }
    }

    /**
     * Reads images from a stream; {@code name} appears in error messages; {@code streamLength}
     * is the stored length if known (else -1), used to refuse a short file before allocating.
     */
    public static Images readImages(InputStream raw, String name, long streamLength) throws IOException {
        Opened o = open(raw, name, streamLength);
        int[] dims = header(o, name, IMAGES_MAGIC, "images");
        byte[] pixels = payload(o, name, (long) dims[0] * dims[1] * dims[2], 16);
        return new Images(dims[0], dims[1], dims[2], pixels);
    }

    public static byte[] readLabels(InputStream raw, String name, long streamLength) throws IOException {
        Opened o = open(raw, name, streamLength);
        int[] dims = header(o, name, LABELS_MAGIC, "labels");
        return payload(o, name, dims[0], 8);
    }

    /** Writes an IDX3 image file, gzipped when the name ends in {@code .gz}; via temp file and rename. */
    public static void writeImages(Path file, byte[] pixels, int count, int rows, int cols) throws IOException {
        if ((long) count * rows * cols != pixels.length) {
            throw new IllegalArgumentException(count + "x" + rows + "x" + cols + " images need "
                    + (long) count * rows * cols + " bytes, got " + pixels.length);
        }
        write(file, new int[] {IMAGES_MAGIC, count, rows, cols}, pixels);
    }

    public static void writeLabels(Path file, byte[] labels) throws IOException {
        write(file, new int[] {LABELS_MAGIC, labels.length}, labels);
    }

    private static void write(Path file, int[] header, byte[] payload) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".part");
        try {
            try (OutputStream fileOut = Files.newOutputStream(tmp);
                 OutputStream maybeGz = file.toString().endsWith(".gz") ? new GZIPOutputStream(fileOut, 1 << 16) : fileOut;
                 DataOutputStream out = new DataOutputStream(maybeGz)) {
                for (int h : header) {
                    out.writeInt(h);
                }
                out.write(payload);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private record Opened(InputStream in, boolean gzipped, long length) {
    }

    private static Opened open(InputStream raw, String name, long length) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 < 0 || b1 < 0) {
            throw new InvalidDataException(name + ": empty or truncated IDX file (" + Math.max(0, length) + " bytes)");
        }
        if (((b0 << 8) | b1) == GZIP_MAGIC) {
            try {
                return new Opened(new GZIPInputStream(in, 1 << 16), true, -1);
            } catch (ZipException | EOFException e) {
                throw new InvalidDataException(name + ": corrupt gzip header (" + e.getMessage() + ")", e);
            }
        }
        return new Opened(in, false, length);
    }

    private static int[] header(Opened o, String name, int expectedMagic, String what) throws IOException {
        int ndims = expectedMagic & 0xff;
        byte[] h = new byte[4 + 4 * ndims];
        int got = readFully(o.in, h, 0, 4, name);
        int magic = intAt(h, 0);
        if (got == 4 && magic != expectedMagic) {
            throw new InvalidDataException(String.format("%s: bad magic 0x%08x, expected 0x%08x for IDX %s%s",
                    name, magic, expectedMagic, what, o.gzipped ? "" : " (nor a gzip file)"));
        }
        got += readFully(o.in, h, got, h.length - got, name);
        if (got < h.length) {
            throw new InvalidDataException(name + ": truncated IDX header (" + got + " of " + h.length + " bytes)");
        }
        int[] dims = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            dims[i] = intAt(h, 4 + 4 * i);
            if (dims[i] < 0 || (i > 0 && dims[i] == 0)) {
                throw new InvalidDataException(name + ": invalid dimensions " + Arrays.toString(dims) + " in IDX header");
            }
        }
        long total = 1;
        for (int d : dims) {
            total *= d; // each factor < 2^31 and total stays below 2^31 here, so no overflow
            if (total > Integer.MAX_VALUE - 8) {
                throw new InvalidDataException(name + ": dimensions " + Arrays.toString(dims)
                        + " need more than one array can hold");
            }
        }
        if (o.length >= 0 && o.length != h.length + total) {
            throw new InvalidDataException(name + ": dimensions " + Arrays.toString(dims) + " need "
                    + (h.length + total) + " bytes but the file has " + o.length);
        }
        return dims;
    }

    /** Reads exactly {@code n} payload bytes and checks nothing follows. */
    private static byte[] payload(Opened o, String name, long n, int headerLength) throws IOException {
        int size = (int) n;
        // Grow towards the declared size as data arrives: never more than twice what the file holds.
        byte[] buf = new byte[Math.min(size, 1 << 20)];
        int filled = 0;
        while (true) {
            int got = readFully(o.in, buf, filled, buf.length - filled, name);
            filled += got;
            if (filled < buf.length || buf.length == size) {
                break;
            }
            buf = Arrays.copyOf(buf, (int) Math.min(size, 2L * buf.length));
        }
        if (filled < size) {
            throw new InvalidDataException(name + ": truncated, the header declares " + (headerLength + n)
                    + " bytes of IDX data but there are " + (headerLength + filled));
        }
        if (readFully(o.in, new byte[1], 0, 1, name) > 0) {
            throw new InvalidDataException(name + ": trailing data after the " + (headerLength + n)
                    + " bytes the IDX header declares");
        }
        return buf;
    }

    private static int readFully(InputStream in, byte[] b, int off, int len, String name) throws IOException {
        int total = 0;
        try {
            while (total < len) {
                int r = in.read(b, off + total, len - total);
                if (r < 0) {
                    break;
                }
                total += r;
            }
        } catch (EOFException | ZipException e) {
            throw new InvalidDataException(name + ": corrupt or truncated gzip data (" + e.getMessage() + ")", e);
        }
        return total;
    }

    private static int intAt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    /** For tests and tools: parses an in-memory IDX image file. */
    static Images readImages(byte[] file, String name) throws IOException {
        return readImages(new ByteArrayInputStream(file), name, file.length);
    }
}

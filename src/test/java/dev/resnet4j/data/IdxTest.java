package dev.resnet4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxTest {
    @TempDir
    Path dir;

    static byte[] idx(int magic, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(payload);
        return b.array();
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void readsPlainAndGzippedImagesAndLabels() throws IOException {
        byte[] pixels = randomBytes(5 * 3 * 4, 1);
        byte[] raw = idx(Idx.IMAGES_MAGIC, new int[] {5, 3, 4}, pixels);
        Files.write(dir.resolve("a"), raw);
        Files.write(dir.resolve("a.gz"), gzip(raw));
        for (String name : new String[] {"a", "a.gz"}) {
            Idx.Images im = Idx.readImages(dir.resolve(name));
            assertEquals(5, im.count());
            assertEquals(3, im.rows());
            assertEquals(4, im.cols());
            assertArrayEquals(pixels, im.pixels());
        }
        byte[] labels = {3, 1, 4, 1, 5};
        Files.write(dir.resolve("l.gz"), gzip(idx(Idx.LABELS_MAGIC, new int[] {5}, labels)));
        assertArrayEquals(labels, Idx.readLabels(dir.resolve("l.gz")));
    }

    @Test
    void writerRoundTrips() throws IOException {
        byte[] pixels = randomBytes(7 * 2 * 2, 2);
        Idx.writeImages(dir.resolve("x.gz"), pixels, 7, 2, 2);
        Idx.writeLabels(dir.resolve("y"), new byte[] {9, 8});
        assertArrayEquals(pixels, Idx.readImages(dir.resolve("x.gz")).pixels());
        assertArrayEquals(new byte[] {9, 8}, Idx.readLabels(dir.resolve("y")));
    }

    private String failure(byte[] content, boolean images) throws IOException {
        Path f = dir.resolve("bad-file");
        Files.write(f, content);
        InvalidDataException e = assertThrows(InvalidDataException.class,
                () -> {
                    if (images) {
                        Idx.readImages(f);
                    } else {
                        Idx.readLabels(f);
                    }
                });
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertFalse(m.contains("\n"), m);
        return m;
    }

    @Test
    void refusesWrongMagic() throws IOException {
        byte[] labels = idx(Idx.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2});
        assertTrue(failure(labels, true).contains("magic"));
        assertTrue(failure(idx(Idx.IMAGES_MAGIC, new int[] {1, 1, 1}, new byte[] {1}), false).contains("magic"));
        assertTrue(failure(gzip(labels), true).contains("magic"));
    }

    @Test
    void refusesTruncatedAndOversizedPlainFiles() throws IOException {
        byte[] good = idx(Idx.IMAGES_MAGIC, new int[] {4, 2, 2}, randomBytes(16, 3));
        assertTrue(failure(Arrays.copyOf(good, good.length - 1), true).contains("need"));
        assertTrue(failure(Arrays.copyOf(good, good.length + 1), true).contains("need"));
        assertTrue(failure(Arrays.copyOf(good, 10), true).contains("header"));
        assertTrue(failure(new byte[0], true).contains("empty"));
    }

    @Test
    void refusesGzippedFilesWhoseHeaderDisagreesWithTheData() throws IOException {
        byte[] good = idx(Idx.IMAGES_MAGIC, new int[] {4, 2, 2}, randomBytes(16, 4));
        assertTrue(failure(gzip(Arrays.copyOf(good, good.length - 3)), true).contains("truncated"));
        assertTrue(failure(gzip(Arrays.copyOf(good, good.length + 3)), true).contains("trailing"));
        byte[] gz = gzip(good);
        assertTrue(failure(Arrays.copyOf(gz, gz.length - 12), true).contains("gzip"));
    }

    @Test
    void hugeDeclaredSizeDoesNotAllocate() throws IOException {
        // 2^31-ish bytes declared, 8 present: must fail on the size, not with OutOfMemoryError.
        byte[] lie = idx(Idx.IMAGES_MAGIC, new int[] {40000, 230, 230}, new byte[8]);
        String m = failure(gzip(lie), true);
        assertTrue(m.contains("truncated") || m.contains("array"), m);
        String m2 = failure(idx(Idx.IMAGES_MAGIC, new int[] {1 << 20, 1 << 10, 1 << 10}, new byte[8]), true);
        assertTrue(m2.contains("more than one array"), m2);
        assertTrue(failure(idx(Idx.IMAGES_MAGIC, new int[] {-1, 2, 2}, new byte[0]), true).contains("invalid"));
    }

    /** Random damage to valid files: each either still parses or is refused as invalid data, nothing else. */
    @Test
    void damagedFilesFailOnlyWithInvalidData() throws IOException {
        byte[] plain = idx(Idx.IMAGES_MAGIC, new int[] {3, 4, 5}, randomBytes(60, 5));
        byte[] gz = gzip(plain);
        Random r = new Random(11);
        int refused = 0;
        for (int trial = 0; trial < 600; trial++) {
            byte[] f = (trial % 2 == 0 ? plain : gz).clone();
            switch (trial % 3) {
                case 0 -> f = Arrays.copyOf(f, r.nextInt(f.length));
                case 1 -> f[r.nextInt(Math.min(f.length, 20))] = (byte) r.nextInt(256);
                default -> f[r.nextInt(f.length)] ^= (byte) (1 << r.nextInt(8));
            }
            try {
                Idx.Images im = Idx.readImages(f, "damaged");
                assertEquals((long) im.count() * im.rows() * im.cols(), im.pixels().length);
            } catch (InvalidDataException e) {
                assertTrue(e.getMessage().startsWith("damaged: "), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 300, "most damage must be detected, refused " + refused);
    }
}

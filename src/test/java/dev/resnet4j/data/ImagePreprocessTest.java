package dev.resnet4j.data;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against fixtures made by torchvision/PIL with {@code tools/make_preprocess_fixtures.py}. */
class ImagePreprocessTest {
    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Paths.get(ImagePreprocessTest.class.getResource("/dev/resnet4j/data/preprocess/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static float[] f32(String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(fixture(name))).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void resizeOfShorterSideEqualsPillowBitForBit() throws IOException {
        ByteImage ours = ImageDecoder.read(fixture("small.png")).resizeShorterSide(256);
        ByteImage pil = ImageDecoder.read(fixture("small.resize256.png"));
        assertEquals(pil.height(), ours.height());
        assertEquals(pil.width(), ours.width());
        assertArrayEquals(pil.data(), ours.data());
    }

    @Test
    void grayscaleConversionEqualsPillow() throws IOException {
        for (String name : new String[] {"rgb", "small"}) {
            ByteImage l = ImageDecoder.read(fixture(name + ".l.png"));
            assertEquals(1, l.channels());
            assertArrayEquals(l.data(), ImageDecoder.read(fixture(name + ".png")).toChannels(1).data(), name);
        }
    }

    /**
     * Whole pipeline (downscaling, centre crop with a half-pixel offset and with padding,
     * grayscale) against torchvision. Measured difference: 0, the arithmetic is the same; the
     * tolerance only allows for float rounding in a different evaluation order.
     */
    @Test
    void pipelineMatchesTorchvision() throws IOException {
        String[] configs = {"c3_r40_c33", "c3_r40_c47", "c1_r40_c33"};
        for (String image : new String[] {"rgb", "small"}) {
            for (String config : configs) {
                String[] p = config.split("_");
                int channels = Integer.parseInt(p[0].substring(1));
                int resize = Integer.parseInt(p[1].substring(1));
                int crop = Integer.parseInt(p[2].substring(1));
                Normalization norm = channels == 3 ? Normalization.IMAGENET
                        : Normalization.of(new float[] {0.5f}, new float[] {0.25f});
                Tensor t = new ImagePreprocess(channels, resize, crop, norm).load(fixture(image + ".png"));
                assertArrayEquals(new int[] {1, channels, crop, crop}, t.shape());
                float[] expected = f32(image + "." + config + ".f32");
                assertEquals(expected.length, t.size());
                float maxDiff = 0;
                for (int i = 0; i < expected.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(expected[i] - t.data()[i]));
                }
                assertTrue(maxDiff <= 1e-6f, image + " " + config + ": max difference " + maxDiff);
            }
        }
    }

    /**
     * Both PIL and javax.imageio use IJG libjpeg's integer IDCT: measured identical here (max 0).
     * The tolerance allows a level or two for other decoder builds.
     */
    @Test
    void jpegDecodingIsCloseToPillow() throws IOException {
        ByteImage ours = ImageDecoder.read(fixture("rgb.jpg"));
        ByteImage pil = ImageDecoder.read(fixture("rgb.jpg.pil.png"));
        assertEquals(3, ours.channels());
        int max = 0;
        long sum = 0;
        for (int i = 0; i < ours.data().length; i++) {
            int d = Math.abs((ours.data()[i] & 0xff) - (pil.data()[i] & 0xff));
            max = Math.max(max, d);
            sum += d;
        }
        double mean = (double) sum / ours.data().length;
        System.out.println("JPEG decode vs PIL: max " + max + ", mean " + mean);
        assertTrue(max <= 2 && mean < 0.05, "max " + max + " mean " + mean);
    }

    @Test
    void pngFlavoursDecodeLikePillowsConvertToRgb() throws IOException {
        for (String name : new String[] {"flavour_rgba", "flavour_palette", "flavour_gray", "flavour_gray_alpha"}) {
            ByteImage pil = ImageDecoder.read(fixture(name + ".rgb.png"));
            ByteImage ours = ImageDecoder.read(fixture(name + ".png")).toChannels(3);
            assertArrayEquals(pil.data(), ours.data(), name);
        }
        assertEquals(1, ImageDecoder.read(fixture("flavour_gray.png")).channels());
        assertEquals(1, ImageDecoder.read(fixture("flavour_gray_alpha.png")).channels());
    }

    @Test
    void grayscaleToRgbReplicates() {
        ByteImage g = new ByteImage(1, 1, 2, new byte[] {7, (byte) 200});
        ByteImage rgb = g.toChannels(3);
        assertArrayEquals(new byte[] {7, (byte) 200, 7, (byte) 200, 7, (byte) 200}, rgb.data());
    }

    private void assertRefused(Path file, String fragment) {
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageDecoder.read(file));
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()) && m.contains(fragment), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void refusesNonImagesAndTruncatedImages() throws IOException {
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "this is not a picture\n");
        assertRefused(text, "not an image");
        for (String name : new String[] {"rgb.png", "rgb.jpg"}) {
            byte[] whole = Files.readAllBytes(fixture(name));
            Path cut = tmp.resolve("cut-" + name);
            Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
            assertRefused(cut, "truncated or corrupt");
        }
        Files.write(tmp.resolve("empty.png"), new byte[0]);
        assertRefused(tmp.resolve("empty.png"), "not an image");
    }

    /** Random damage to PNG and JPEG files: each either decodes or is refused as invalid data, nothing else. */
    @Test
    void damagedImagesFailOnlyWithInvalidData() throws IOException {
        java.util.Random r = new java.util.Random(3);
        int refused = 0;
        for (String name : new String[] {"small.png", "rgb.jpg", "flavour_palette.png"}) {
            byte[] whole = Files.readAllBytes(fixture(name));
            for (int trial = 0; trial < 40; trial++) {
                byte[] f = whole.clone();
                for (int k = 0; k < 1 + trial % 4; k++) {
                    int at = trial % 2 == 0 ? r.nextInt(Math.min(64, f.length)) : r.nextInt(f.length);
                    f[at] = (byte) r.nextInt(256);
                }
                Path p = tmp.resolve("damaged-" + trial + "-" + name);
                Files.write(p, f);
                try {
                    ByteImage img = ImageDecoder.read(p);
                    assertTrue(img.height() > 0 && img.width() > 0);
                } catch (InvalidDataException e) {
                    assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
                    assertFalse(e.getMessage().contains("\n"), e.getMessage());
                    refused++;
                }
            }
        }
        assertTrue(refused > 0);
    }

    @Test
    void refusesForgedHugeDimensionsBeforeDecoding() throws IOException {
        byte[] png = Files.readAllBytes(fixture("small.png"));
        // IHDR width and height are the big-endian ints at offsets 16 and 20; the CRC then fails
        // in a strict reader, or the size check refuses it: either way, invalid data, no allocation.
        java.nio.ByteBuffer.wrap(png).putInt(16, 1 << 20).putInt(20, 1 << 20);
        Path p = tmp.resolve("huge.png");
        Files.write(p, png);
        assertThrows(InvalidDataException.class, () -> ImageDecoder.read(p));
    }
}

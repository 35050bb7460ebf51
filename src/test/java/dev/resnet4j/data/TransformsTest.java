package dev.resnet4j.data;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransformsTest {
    /** A C×H×W image whose every value is distinct and non-zero: 1 + index. */
    static float[] ramp(int c, int h, int w) {
        float[] img = new float[c * h * w];
        for (int i = 0; i < img.length; i++) {
            img[i] = 1 + i;
        }
        return img;
    }

    @Test
    void cropOfZeroPaddedImageShiftsAndFillsWithZeros() {
        int c = 2, h = 5, w = 4, p = 2;
        float[] src = ramp(c, h, w);
        for (int top = 0; top <= 2 * p; top++) {
            for (int left = 0; left <= 2 * p; left++) {
                float[] dst = new float[c * h * w];
                Transforms.crop(src, 0, c, h, w, p, top, left, h, w, dst, 0);
                for (int ch = 0; ch < c; ch++) {
                    for (int y = 0; y < h; y++) {
                        for (int x = 0; x < w; x++) {
                            int sy = y + top - p;
                            int sx = x + left - p;
                            boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                            float expected = inside ? src[(ch * h + sy) * w + sx] : 0f;
                            assertEquals(expected, dst[(ch * h + y) * w + x]);
                        }
                    }
                }
            }
        }
        // centre window of the padded image is the image itself
        float[] centre = new float[c * h * w];
        Transforms.crop(src, 0, c, h, w, p, p, p, h, w, centre, 0);
        assertArrayEquals(src, centre);
    }

    @Test
    void randomCropVisitsEveryOffsetAndNoOther() {
        int h = 3, w = 3, p = 1;
        float[] src = ramp(1, h, w);
        boolean[][] seen = new boolean[2 * p + 1][2 * p + 1];
        SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 400; trial++) {
            float[] dst = new float[h * w];
            Transforms.randomCrop(src, 0, 1, h, w, p, h, w, rng, dst, 0);
            int matches = 0;
            for (int top = 0; top <= 2 * p; top++) {
                for (int left = 0; left <= 2 * p; left++) {
                    float[] ref = new float[h * w];
                    Transforms.crop(src, 0, 1, h, w, p, top, left, h, w, ref, 0);
                    if (java.util.Arrays.equals(ref, dst)) {
                        seen[top][left] = true;
                        matches++;
                    }
                }
            }
            assertEquals(1, matches);
        }
        for (boolean[] row : seen) {
            for (boolean s : row) {
                assertTrue(s);
            }
        }
    }

    @Test
    void flipMirrorsEachRowAndTwiceIsIdentity() {
        int c = 3, h = 2, w = 5;
        float[] img = ramp(c, h, w);
        float[] flipped = img.clone();
        Transforms.horizontalFlip(flipped, 0, c, h, w);
        for (int row = 0; row < c * h; row++) {
            for (int x = 0; x < w; x++) {
                assertEquals(img[row * w + x], flipped[row * w + (w - 1 - x)]);
            }
        }
        Transforms.horizontalFlip(flipped, 0, c, h, w);
        assertArrayEquals(img, flipped);
    }

    @Test
    void randomFlipHappensAboutHalfTheTime() {
        SplittableRandom rng = new SplittableRandom(3);
        int flips = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            float[] img = ramp(1, 1, 2);
            if (Transforms.randomHorizontalFlip(img, 0, 1, 1, 2, 0.5, rng)) {
                flips++;
                assertEquals(2f, img[0]);
            } else {
                assertEquals(1f, img[0]);
            }
        }
        assertTrue(Math.abs(flips - n / 2) < 4 * Math.sqrt(n / 4.0), "flips " + flips);
    }

    @Test
    void normalizeUsesPerChannelStatistics() {
        float[] img = ramp(2, 1, 2);
        Normalization n = Normalization.of(new float[] {1f, 2f}, new float[] {0.5f, 4f});
        float[] expected = {(1 - 1f) / 0.5f, (2 - 1f) / 0.5f, (3 - 2f) / 4f, (4 - 2f) / 4f};
        Transforms.normalize(img, 0, 2, 1, 2, n);
        assertArrayEquals(expected, img);
    }
}

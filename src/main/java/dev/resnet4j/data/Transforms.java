package dev.resnet4j.data;

import java.util.random.RandomGenerator;

/**
 * Augmentations on one C×H×W float image, in the order torchvision's CIFAR recipe uses them:
 * {@code RandomCrop(size, padding=p)}, {@code RandomHorizontalFlip(0.5)}, then normalisation.
 *
 * <p>They run on values in [0, 1], before normalisation, so the zero padding is black exactly
 * as torchvision's padding of a PIL image is.
 */
public final class Transforms {
    private Transforms() {
    }

    /**
     * torchvision's {@code RandomCrop((outH, outW), padding)}: pad every side with {@code padding}
     * zeros, then take an outH×outW window at a uniformly random offset of the padded image.
     * Reads {@code src} from {@code srcOff}, writes {@code dst} from {@code dstOff} (distinct arrays
     * or non-overlapping ranges).
     */
    public static void randomCrop(float[] src, int srcOff, int c, int h, int w, int padding, int outH, int outW,
                                  RandomGenerator rng, float[] dst, int dstOff) {
        int maxTop = h + 2 * padding - outH;
        int maxLeft = w + 2 * padding - outW;
        if (maxTop < 0 || maxLeft < 0) {
            throw new IllegalArgumentException("crop " + outH + "x" + outW + " is larger than the padded image "
                    + (h + 2 * padding) + "x" + (w + 2 * padding));
        }
        int top = rng.nextInt(maxTop + 1);
        int left = rng.nextInt(maxLeft + 1);
        crop(src, srcOff, c, h, w, padding, top, left, outH, outW, dst, dstOff);
    }

    /** The deterministic part of {@link #randomCrop}: the window at (top, left) of the zero-padded image. */
    public static void crop(float[] src, int srcOff, int c, int h, int w, int padding, int top, int left,
                            int outH, int outW, float[] dst, int dstOff) {
        for (int ch = 0; ch < c; ch++) {
            int in = srcOff + ch * h * w;
            int out = dstOff + ch * outH * outW;
            for (int y = 0; y < outH; y++) {
                int sy = top + y - padding;
                int row = out + y * outW;
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(dst, row, row + outW, 0f);
                    continue;
                }
                for (int x = 0; x < outW; x++) {
                    int sx = left + x - padding;
                    dst[row + x] = sx < 0 || sx >= w ? 0f : src[in + sy * w + sx];
                }
            }
        }
    }

    /** Mirrors the image left to right, in place. */
    public static void horizontalFlip(float[] img, int off, int c, int h, int w) {
        for (int row = 0; row < c * h; row++) {
            int a = off + row * w;
            for (int i = 0, j = w - 1; i < j; i++, j--) {
                float t = img[a + i];
                img[a + i] = img[a + j];
                img[a + j] = t;
            }
        }
    }

    /** Flips with probability {@code p}; returns whether it did. */
    public static boolean randomHorizontalFlip(float[] img, int off, int c, int h, int w, double p,
                                               RandomGenerator rng) {
        boolean flip = rng.nextDouble() < p;
        if (flip) {
            horizontalFlip(img, off, c, h, w);
        }
        return flip;
    }

    /** torchvision's {@code Normalize(mean, std)}: {@code (x - mean[c]) / std[c]}, in place. */
    public static void normalize(float[] img, int off, int c, int h, int w, Normalization n) {
        n.apply(img, off, c, h * w);
    }
}

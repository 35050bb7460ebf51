package dev.resnet4j.data;

import java.util.Arrays;

/**
 * Per-channel mean and standard deviation, applied as {@code (x - mean) / std} like
 * torchvision's {@code Normalize}. A single value applies to every channel.
 */
public record Normalization(float[] mean, float[] std) {
    /** Statistics of the Fashion-MNIST training set. */
    public static final Normalization FASHION_MNIST = of(new float[] {0.2860f}, new float[] {0.3530f});
    public static final Normalization MNIST = of(new float[] {0.1307f}, new float[] {0.3081f});
    public static final Normalization CIFAR10 = of(new float[] {0.4914f, 0.4822f, 0.4465f},
            new float[] {0.2470f, 0.2435f, 0.2616f});
    /** What torchvision's ImageNet weights expect. */
    public static final Normalization IMAGENET = of(new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f});
    /** ImageNet statistics for one channel: the means of the three channels' means and stds. */
    public static final Normalization IMAGENET_GRAY = of(new float[] {(0.485f + 0.456f + 0.406f) / 3},
            new float[] {(0.229f + 0.224f + 0.225f) / 3});
    /** Leaves values in [0, 1]. */
    public static final Normalization NONE = of(new float[] {0f}, new float[] {1f});

    public Normalization {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std need the same, non-zero length, got "
                    + mean.length + " and " + std.length);
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive, got " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    public static Normalization of(float[] mean, float[] std) {
        return new Normalization(mean, std);
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    public float mean(int channel) {
        return mean[mean.length == 1 ? 0 : channel];
    }

    public float std(int channel) {
        return std[std.length == 1 ? 0 : channel];
    }

    /** Checks the statistics fit images of {@code channels} channels. */
    public void check(int channels) {
        if (mean.length != 1 && mean.length != channels) {
            throw new IllegalArgumentException("normalisation has " + mean.length + " channels, images have " + channels);
        }
    }

    /** Normalises one C×H×W image in place. */
    public void apply(float[] img, int off, int channels, int plane) {
        for (int c = 0; c < channels; c++) {
            float m = mean(c);
            float s = std(c);
            int base = off + c * plane;
            for (int i = 0; i < plane; i++) {
                img[base + i] = (img[base + i] - m) / s;
            }
        }
    }

    @Override
    public String toString() {
        return "Normalization(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }
}

package dev.resnet4j.data;

/**
 * Training-time augmentation: a random crop back to the original size after zero padding of
 * {@code padding} pixels (0 = no crop), and a horizontal flip with probability {@code flipProbability}.
 */
public record Augmentation(int padding, double flipProbability) {
    public static final Augmentation NONE = new Augmentation(0, 0);

    public Augmentation {
        if (padding < 0 || flipProbability < 0 || flipProbability > 1) {
            throw new IllegalArgumentException("padding must be >= 0 and flip probability in [0, 1], got "
                    + padding + " and " + flipProbability);
        }
    }

    /** The usual recipe for small images: crop with 4 pixels of padding (2 for 28×28 and smaller), flip half the time. */
    public static Augmentation standard(int height) {
        return new Augmentation(height <= 28 ? 2 : 4, 0.5);
    }

    public boolean isNone() {
        return padding == 0 && flipProbability == 0;
    }
}

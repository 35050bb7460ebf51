package dev.resnet4j.viz;

/**
 * One epoch's summary as the training curves plot it. Accuracies are fractions in [0, 1];
 * {@code Double.NaN} marks a value that is absent (for example, no test split).
 */
public record EpochMetrics(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy) {

    public EpochMetrics {
        checkFraction("trainAccuracy", trainAccuracy);
        checkFraction("testAccuracy", testAccuracy);
    }

    /** An epoch without a test split. */
    public static EpochMetrics trainOnly(int epoch, double trainLoss, double trainAccuracy) {
        return new EpochMetrics(epoch, trainLoss, trainAccuracy, Double.NaN, Double.NaN);
    }

    public boolean hasTest() {
        return !Double.isNaN(testLoss) || !Double.isNaN(testAccuracy);
    }

    private static void checkFraction(String name, double v) {
        // A percentage passed by mistake would silently plot as 9000 %; say so instead.
        if (!Double.isNaN(v) && (v < 0 || v > 1)) {
            throw new IllegalArgumentException(name + " must be a fraction in [0, 1] (or NaN if absent), got " + v
                    + "; divide percentages by 100");
        }
    }
}

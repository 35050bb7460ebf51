package dev.resnet4j.train;

/** What one epoch produced; test fields are NaN when there is no test split. */
public record EpochResult(int epoch, double trainLoss, double trainAccuracy, double testLoss, double testAccuracy,
                          double seconds, double imagesPerSecond, double lr) {
}

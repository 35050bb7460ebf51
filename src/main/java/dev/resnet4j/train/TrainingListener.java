package dev.resnet4j.train;

/** Hooks for progress display and logging; every method is optional. */
public interface TrainingListener {
    default void epochStarted(int epoch, int epochs, int steps) {
    }

    /** After each optimiser step, with running means over the epoch so far. */
    default void stepFinished(int epoch, int step, int images, double meanLoss, double accuracy) {
    }

    default void epochFinished(EpochResult result) {
    }
}

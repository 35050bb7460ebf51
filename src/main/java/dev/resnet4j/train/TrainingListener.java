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

    /** One listener that forwards every event to each of {@code listeners} in order (nulls skipped). */
    static TrainingListener all(TrainingListener... listeners) {
        java.util.List<TrainingListener> ls = java.util.Arrays.stream(listeners).filter(java.util.Objects::nonNull).toList();
        return new TrainingListener() {
            @Override
            public void epochStarted(int epoch, int epochs, int steps) {
                ls.forEach(l -> l.epochStarted(epoch, epochs, steps));
            }

            @Override
            public void stepFinished(int epoch, int step, int images, double meanLoss, double accuracy) {
                ls.forEach(l -> l.stepFinished(epoch, step, images, meanLoss, accuracy));
            }

            @Override
            public void epochFinished(EpochResult result) {
                ls.forEach(l -> l.epochFinished(result));
            }
        };
    }
}

package dev.resnet4j.train;

/** The loss became NaN or infinite; training stops, the last good checkpoint stays. */
public final class TrainingDivergedException extends IllegalStateException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}

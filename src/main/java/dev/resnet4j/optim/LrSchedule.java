package dev.resnet4j.optim;

/**
 * The learning rate as a function of training progress. The trainer asks before every
 * optimiser step and passes the answer to {@link Optimizer#setLr(double)}, so a schedule is
 * a pure function: resuming from a checkpoint needs only the epoch and step, no scheduler state.
 *
 * <p>Factories, with the PyTorch scheduler each one matches, are in {@link LrSchedules}.
 */
@FunctionalInterface
public interface LrSchedule {
    /**
     * Learning rate for the optimiser step {@code stepInEpoch} (0-based) of epoch {@code epoch}
     * (0-based), when an epoch has {@code stepsPerEpoch} steps.
     */
    double lr(int epoch, int stepInEpoch, int stepsPerEpoch);
}

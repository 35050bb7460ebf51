package dev.resnet4j.train;

import dev.resnet4j.data.DataLoader;
import dev.resnet4j.models.ResNet;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Functional;
import dev.resnet4j.optim.LrSchedule;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The training loop: for each epoch and batch, train-mode forward, cross-entropy, backward
 * from the loss to the stem, one optimiser step with the schedule's learning rate; then
 * evaluation on the test split and an atomic checkpoint.
 *
 * <pre>{@code
 * DataLoader trainLoader = DataLoader.builder(FashionMnist.subset(true))
 *         .batchSize(64).normalization(Normalization.FASHION_MNIST).build();
 * Optimizer optimizer = new SGD(model.namedParameters(), 0.05, 0.9, 5e-4);
 * Trainer t = Trainer.builder(model, trainLoader, optimizer).epochs(5).testLoader(testLoader).build();
 * List<EpochResult> history = t.fit();
 * }</pre>
 *
 * <p>Optional: a learning-rate {@link Builder#schedule schedule}, label smoothing, a
 * {@link Builder#checkpointDir checkpoint directory} with {@link Builder#resume resume}, and a
 * {@link TrainingListener} for progress. A non-finite loss stops training with a
 * {@link TrainingDivergedException}.
 */
public final class Trainer {
    private final ResNet model;
    private final DataLoader train;
    private final DataLoader test;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final int epochs;
    private final double labelSmoothing;
    private final Path checkpointDir;
    private final boolean resume;
    private final long seed;
    private final TrainingListener listener;

    private Trainer(Builder b) {
        this.model = b.model;
        this.train = b.train;
        this.test = b.test;
        this.optimizer = b.optimizer;
        this.schedule = b.schedule != null ? b.schedule : (e, s, n) -> b.optimizer.lr();
        this.epochs = b.epochs;
        this.labelSmoothing = b.labelSmoothing;
        this.checkpointDir = b.checkpointDir;
        this.resume = b.resume;
        this.seed = b.seed;
        this.listener = b.listener;
    }

    public static Builder builder(ResNet model, DataLoader train, Optimizer optimizer) {
        return new Builder(model, train, optimizer);
    }

    /** Trains the remaining epochs (all, or those after the checkpoint when resuming). */
    public List<EpochResult> fit() {
        int start = 0;
        if (resume && checkpointDir != null && Checkpoint.exists(checkpointDir)) {
            start = restore();
        }
        List<EpochResult> history = new ArrayList<>();
        CrossEntropyLoss loss = new CrossEntropyLoss(labelSmoothing);
        int steps = train.batchesPerEpoch();
        // every step has the same shapes: reuse the activation and gradient tensors
        model.reuseBuffers(true);
        try {
            fitEpochs(start, loss, steps, history);
        } finally {
            model.reuseBuffers(false);
        }
        return history;
    }

    private void fitEpochs(int start, CrossEntropyLoss loss, int steps, List<EpochResult> history) {
        for (int epoch = start; epoch < epochs; epoch++) {
            model.train(true);
            listener.epochStarted(epoch, epochs, steps);
            long t0 = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            int images = 0;
            int step = 0;
            double lr = optimizer.lr();
            try (DataLoader.Epoch batches = train.epoch(epoch)) {
                for (DataLoader.Batch b : batches) {
                    lr = schedule.lr(epoch, step, steps);
                    optimizer.setLr(lr);
                    optimizer.zeroGrad();
                    Tensor logits = model.forward(b.images());
                    double l = loss.forward(logits, b.labels());
                    if (!Double.isFinite(l)) {
                        throw new TrainingDivergedException("the loss became " + l + " at epoch " + (epoch + 1) + ", step "
                                + (step + 1) + (checkpointDir != null && Checkpoint.exists(checkpointDir)
                                ? "; the last good checkpoint is " + checkpointDir.resolve(Checkpoint.FILE) : "")
                                + (allFinite(b.images()) ? "; try a lower --lr" : "; the batch's images hold NaN or infinite values"));
                    }
                    model.backwardParameters(loss.backward());
                    optimizer.step();
                    int[] pred = Functional.argmax(logits);
                    for (int i = 0; i < pred.length; i++) {
                        if (pred[i] == b.labels()[i]) {
                            correct++;
                        }
                    }
                    lossSum += l * b.size();
                    images += b.size();
                    step++;
                    listener.stepFinished(epoch, step, images, lossSum / images, (double) correct / images);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double testLoss = Double.NaN;
            double testAcc = Double.NaN;
            if (test != null) {
                Evaluation ev = Evaluation.run(model, test);
                testLoss = ev.loss();
                testAcc = ev.accuracy();
            }
            EpochResult r = new EpochResult(epoch + 1, lossSum / images, (double) correct / images, testLoss, testAcc,
                    seconds, images / seconds, lr);
            history.add(r);
            // Metrics first, checkpoint second: a kill between the two makes the resumed run train
            // this epoch again, and its new row replaces this one (MetricsLog.continuing).
            listener.epochFinished(r);
            if (checkpointDir != null) {
                try {
                    new Checkpoint(model.stateDict(), optimizer.state(), epoch + 1, seed).save(checkpointDir);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private static boolean allFinite(Tensor t) {
        for (float v : t.data()) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    private int restore() {
        try {
            Checkpoint c = Checkpoint.load(checkpointDir);
            if (c.seed() != seed) {
                throw new IllegalArgumentException(checkpointDir.resolve(Checkpoint.FILE) + ": was written with --seed " + c.seed()
                        + ", this run has --seed " + seed + "; resume with the same seed");
            }
            try {
                model.loadStateDict(c.model(), true);
                optimizer.loadState(c.optimizer());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(checkpointDir.resolve(Checkpoint.FILE) + ": " + e.getMessage()
                        + "; resume with the model and optimiser options the checkpoint was written with");
            }
            return c.epochsDone();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static final class Builder {
        private final ResNet model;
        private final DataLoader train;
        private final Optimizer optimizer;
        private DataLoader test;
        private LrSchedule schedule;
        private int epochs = 1;
        private double labelSmoothing;
        private Path checkpointDir;
        private boolean resume;
        private long seed;
        private TrainingListener listener = new TrainingListener() {
        };

        private Builder(ResNet model, DataLoader train, Optimizer optimizer) {
            this.model = Objects.requireNonNull(model);
            this.train = Objects.requireNonNull(train);
            this.optimizer = Objects.requireNonNull(optimizer);
        }

        public Builder testLoader(DataLoader l) {
            this.test = l;
            return this;
        }

        public Builder schedule(LrSchedule s) {
            this.schedule = s;
            return this;
        }

        public Builder epochs(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("epochs must be at least 1, got " + n);
            }
            this.epochs = n;
            return this;
        }

        public Builder labelSmoothing(double eps) {
            this.labelSmoothing = eps;
            return this;
        }

        /** Where to write a checkpoint after every epoch. */
        public Builder checkpointDir(Path dir) {
            this.checkpointDir = dir;
            return this;
        }

        /** Continue from the checkpoint in {@link #checkpointDir} if there is one. */
        public Builder resume(boolean on) {
            this.resume = on;
            return this;
        }

        /** The data seed (recorded in checkpoints; a resume must use the same). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder listener(TrainingListener l) {
            this.listener = Objects.requireNonNull(l);
            return this;
        }

        public Trainer build() {
            return new Trainer(this);
        }
    }
}

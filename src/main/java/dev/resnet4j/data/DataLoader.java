package dev.resnet4j.data;

import dev.resnet4j.tensor.Tensor;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Turns a {@link Dataset} into batches: an N×C×H×W float tensor plus the labels.
 *
 * <p>Each epoch's order is a permutation derived from {@code seed} and the epoch number only,
 * and each image's augmentation draws from a generator derived from (seed, epoch, position),
 * so the batches are the same on every run and on any machine. Without shuffling the order is
 * the dataset's and the last batch may be smaller.
 *
 * <p>While the caller works on one batch a background thread prepares the next (double
 * buffering over two reused tensors): a {@link Batch} stays valid until the following
 * {@link Epoch#next()}. An exception in that thread is rethrown from {@code next()} as a
 * {@link DataLoaderException} whose cause is the original. Close the {@link Epoch} (or iterate
 * it to the end) to stop the thread.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(FashionMnist.subset(true))
 *         .batchSize(64)
 *         .normalization(Normalization.FASHION_MNIST)
 *         .augmentation(Augmentation.standard(28))
 *         .seed(0)
 *         .build();
 * try (DataLoader.Epoch epoch = loader.epoch(0)) {
 *     for (DataLoader.Batch b : epoch) {
 *         Tensor images = b.images();   // [64, 1, 28, 28], normalised
 *         int[] labels = b.labels();
 *     }
 * }
 * }</pre>
 */
public final class DataLoader {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final Augmentation augmentation;
    private final Normalization normalization;

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.augmentation = b.augmentation;
        this.normalization = b.normalization;
        normalization.check(dataset.channels());
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public Normalization normalization() {
        return normalization;
    }

    public int batchesPerEpoch() {
        return (dataset.size() + batchSize - 1) / batchSize;
    }

    /** The order in which epoch {@code epoch} visits the dataset. */
    public int[] order(int epoch) {
        int[] order = new int[dataset.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(mix(seed, epoch));
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    /** Starts preparing the batches of epoch {@code epoch} (0-based) on a background thread. */
    public Epoch epoch(int epoch) {
        return new Epoch(epoch);
    }

    /** One batch: {@code images} is size×C×H×W, {@code labels[i]} the label of image i. */
    public record Batch(Tensor images, int[] labels, int[] indices) {
        public int size() {
            return labels.length;
        }
    }

    /** The worker failed; the cause is what it threw. */
    public static final class DataLoaderException extends RuntimeException {
        DataLoaderException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Iterator over one epoch's batches, prepared one ahead on a daemon thread. */
    public final class Epoch implements Iterator<Batch>, Iterable<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int batches;
        private final BlockingQueue<Slot> free = new ArrayBlockingQueue<>(2);
        private final BlockingQueue<Object> ready = new ArrayBlockingQueue<>(3);
        private final Thread worker;
        private Slot current;
        private int delivered;
        private boolean closed;

        private Epoch(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.batches = batchesPerEpoch();
            free.add(new Slot());
            free.add(new Slot());
            worker = new Thread(this::produce, "resnet4j-loader-epoch-" + epoch);
            worker.setDaemon(true);
            worker.start();
        }

        private void produce() {
            try {
                for (int b = 0; b < batches; b++) {
                    Slot slot = free.take();
                    slot.fill(epoch, order, b);
                    ready.put(slot);
                }
            } catch (InterruptedException e) {
                // closed by the consumer
            } catch (Throwable t) {
                ready.offer(new Failure(t));
            }
        }

        @Override
        public boolean hasNext() {
            return !closed && delivered < batches;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("epoch " + epoch + " has " + batches + " batches");
            }
            try {
                if (current != null) {
                    free.put(current);
                    current = null;
                }
                Object o = ready.take();
                if (o instanceof Failure f) {
                    close();
                    throw new DataLoaderException("preparing batch " + delivered + " of epoch " + epoch
                            + " failed: " + f.error, f.error);
                }
                current = (Slot) o;
                delivered++;
                if (delivered == batches) {
                    worker.join();
                }
                return current.batch;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new DataLoaderException("interrupted while waiting for a batch", e);
            }
        }

        @Override
        public Iterator<Batch> iterator() {
            return this;
        }

        /** Stops the worker thread and waits for it; idempotent. */
        @Override
        public void close() {
            closed = true;
            worker.interrupt();
            boolean interrupted = false;
            while (worker.isAlive()) {
                try {
                    worker.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Whether the background thread has ended. */
        public boolean workerDone() {
            return !worker.isAlive();
        }
    }

    private record Failure(Throwable error) {
    }

    /** One of the two buffers: a full-size batch, plus a smaller one made on demand for the last batch. */
    private final class Slot {
        private final int per = dataset.imageSize();
        private final Tensor full = Tensor.zeros(batchSize, dataset.channels(), dataset.height(), dataset.width());
        private final int[] fullLabels = new int[batchSize];
        private final int[] fullIndices = new int[batchSize];
        private final float[] scratch = new float[per];
        private Batch batch;

        void fill(int epoch, int[] order, int b) {
            int start = b * batchSize;
            int n = Math.min(batchSize, order.length - start);
            Tensor images = n == batchSize ? full
                    : Tensor.zeros(n, dataset.channels(), dataset.height(), dataset.width());
            int[] labels = n == batchSize ? fullLabels : new int[n];
            int[] indices = n == batchSize ? fullIndices : new int[n];
            float[] data = images.data();
            int c = dataset.channels();
            int h = dataset.height();
            int w = dataset.width();
            for (int i = 0; i < n; i++) {
                int index = order[start + i];
                indices[i] = index;
                labels[i] = dataset.label(index);
                int off = i * per;
                if (augmentation.isNone()) {
                    dataset.get(index, data, off);
                } else {
                    SplittableRandom rng = new SplittableRandom(mix(mix(seed, epoch), start + i));
                    if (augmentation.padding() > 0) {
                        dataset.get(index, scratch, 0);
                        Transforms.randomCrop(scratch, 0, c, h, w, augmentation.padding(), h, w, rng, data, off);
                    } else {
                        dataset.get(index, data, off);
                    }
                    Transforms.randomHorizontalFlip(data, off, c, h, w, augmentation.flipProbability(), rng);
                }
                normalization.apply(data, off, c, h * w);
            }
            batch = new Batch(images, labels, indices);
        }
    }

    /** SplitMix64's finaliser over a combination of two values: seeds that differ a little give unrelated streams. */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 64;
        private boolean shuffle = true;
        private long seed = 0;
        private Augmentation augmentation = Augmentation.NONE;
        private Normalization normalization = Normalization.NONE;

        private Builder(Dataset dataset) {
            this.dataset = dataset;
        }

        public Builder batchSize(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + n);
            }
            this.batchSize = n;
            return this;
        }

        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder augmentation(Augmentation a) {
            this.augmentation = a;
            return this;
        }

        public Builder normalization(Normalization n) {
            this.normalization = n;
            return this;
        }

        public DataLoader build() {
            if (dataset.size() == 0) {
                throw new IllegalArgumentException("the dataset is empty");
            }
            return new DataLoader(this);
        }
    }
}

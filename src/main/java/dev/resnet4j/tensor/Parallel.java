package dev.resnet4j.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Parallel-for over an index range with a fixed, settable number of threads.
 *
 * <p>One shared pool; {@link #setThreads(int)} decides how many workers the kernels use
 * (the CLI's {@code --threads}, default all cores). Work is split into contiguous chunks so
 * each task touches a contiguous block of memory.
 */
public final class Parallel {
    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile ForkJoinPool pool = newPool(threads);

    private Parallel() {
    }

    private static ForkJoinPool newPool(int n) {
        return new ForkJoinPool(Math.max(1, n));
    }

    public static int threads() {
        return threads;
    }

    /** Sets the number of worker threads (1 runs everything on the calling thread). */
    public static synchronized void setThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
        if (n != threads) {
            ForkJoinPool old = pool;
            pool = newPool(n);
            threads = n;
            old.shutdown();
        }
    }

    /** Runs {@code body.accept(i)} for every i in [0, n), in parallel chunks. */
    public static void forEach(int n, IntConsumer body) {
        forRange(n, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                body.accept(i);
            }
        });
    }

    /** A body over a half-open range [lo, hi). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int lo, int hi);
    }

    /**
     * Splits [0, n) into at most {@code threads} contiguous chunks of at least {@code grain}
     * indices and runs them in parallel; runs inline when one chunk suffices.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int t = threads;
        int chunks = Math.min(t, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        pool.invoke(new RecursiveAction() {
            @Override
            protected void compute() {
                ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
                for (int c = 0; c < chunks; c++) {
                    int lo = (int) ((long) n * c / chunks);
                    int hi = (int) ((long) n * (c + 1) / chunks);
                    tasks[c] = ForkJoinTask.adapt(() -> body.run(lo, hi));
                }
                invokeAll(tasks);
            }
        });
    }
}

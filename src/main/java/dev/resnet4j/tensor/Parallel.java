package dev.resnet4j.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * Parallel-for over an index range with a fixed, settable number of threads.
 *
 * <p>{@link #setThreads(int)} decides how many threads the kernels use (the CLI's
 * {@code --threads}, default all cores). Work is split into contiguous chunks so each task
 * touches a contiguous block of memory; chunk c of k is always [n·c/k, n·(c+1)/k), so results
 * never depend on which thread ran what.
 *
 * <p>The calling thread runs the first chunk itself and a team of {@code threads − 1} workers
 * runs the others. A batch-1 forward is ~50 parallel loops of 20–500 µs each, so the hand-off
 * matters: a fork-join pool parks its workers and wakes them per loop (~30 µs a loop here, the
 * caller idle meanwhile). The team's workers instead spin for a short while
 * ({@link #SPIN_NANOS}, {@code -Dresnet4j.spinMicros}, default 200 µs) after each loop before
 * they park, as OpenMP's and ONNX Runtime's pools do, so the next loop starts at once. A loop
 * called while the team is busy with another thread's loop (a data loader decoding images, a
 * second model served from another thread) runs on a fork-join pool instead; a loop called
 * from inside a loop runs inline.
 */
public final class Parallel {
    /** How long an idle worker spins before it parks. */
    static final long SPIN_NANOS = Long.getLong("resnet4j.spinMicros", 200) * 1000;

    private static volatile int threads = Runtime.getRuntime().availableProcessors();
    private static volatile ForkJoinPool pool = newPool(threads);
    private static volatile Team team = Team.start(threads);

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
            Team oldTeam = team;
            pool = newPool(n);
            team = Team.start(n);
            threads = n;
            old.shutdown();
            if (oldTeam != null) {
                oldTeam.stop();
            }
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
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() || Thread.currentThread() instanceof Worker) {
            body.run(0, n);
            return;
        }
        Team tm = team;
        if (tm != null && tm.size() >= chunks - 1 && tm.tryRun(n, chunks, body)) {
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

    /** A team worker: runs chunk {@code index + 1} of each loop that has one. */
    private static final class Worker extends Thread {
        private final Team team;
        private final int index;
        volatile boolean parked;

        Worker(Team team, int index) {
            super("resnet4j-worker-" + (index + 1));
            this.team = team;
            this.index = index;
            setDaemon(true);
        }

        @Override
        public void run() {
            Loop seen = null;
            while (true) {
                Loop loop = team.awaitLoop(this, seen);
                if (loop == null) {
                    return;
                }
                seen = loop;
                loop.runChunk(index + 1);
            }
        }
    }

    /** One parallel loop: chunk c of {@code chunks} is [n·c/chunks, n·(c+1)/chunks). */
    private static final class Loop {
        final int n;
        final int chunks;
        final RangeBody body;
        /** Worker chunks not yet finished. */
        final AtomicInteger pending;
        volatile Throwable failure;

        Loop(int n, int chunks, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.pending = new AtomicInteger(chunks - 1);
        }

        void runChunk(int c) {
            if (c >= chunks) {
                return; // fewer chunks than workers: not counted in pending
            }
            try {
                body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
            } catch (Throwable e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    /**
     * The caller plus {@code threads − 1} spinning workers, one loop at a time: the caller
     * publishes a {@link Loop} in {@link #current}, runs chunk 0, and waits until the workers
     * with a chunk have counted down. A worker without a chunk in a loop is not waited for,
     * and a loop is only published after the previous one finished, so no worker can miss or
     * repeat one.
     */
    private static final class Team {
        private final Worker[] workers;
        private final ReentrantLock busy = new ReentrantLock();
        private volatile Loop current;
        private volatile boolean stopped;

        private Team(int size) {
            workers = new Worker[size];
        }

        static Team start(int threads) {
            if (threads <= 1) {
                return null;
            }
            Team t = new Team(threads - 1);
            for (int i = 0; i < t.workers.length; i++) {
                t.workers[i] = new Worker(t, i);
                t.workers[i].start();
            }
            return t;
        }

        int size() {
            return workers.length;
        }

        /** Lets the workers end, after any loop in flight: no loop starts afterwards. */
        void stop() {
            busy.lock();
            try {
                stopped = true;
            } finally {
                busy.unlock();
            }
            for (Worker w : workers) {
                LockSupport.unpark(w);
            }
        }

        /**
         * Runs the loop on the team and returns true; returns false at once if the team is
         * busy with another thread's loop (or stopped). A loop started inside one of this
         * thread's own chunks runs inline.
         */
        boolean tryRun(int n, int chunks, RangeBody body) {
            if (busy.isHeldByCurrentThread()) {
                body.run(0, n);
                return true;
            }
            if (!busy.tryLock()) {
                return false;
            }
            try {
                if (stopped) {
                    return false;
                }
                Loop loop = new Loop(n, chunks, body);
                current = loop;
                for (int i = 0; i < chunks - 1; i++) {
                    if (workers[i].parked) {
                        LockSupport.unpark(workers[i]);
                    }
                }
                Throwable mine = null;
                try {
                    body.run(0, (int) ((long) n / chunks));
                } catch (Throwable e) {
                    mine = e;
                }
                // the workers' chunks are about as long as ours: spin, then yield
                for (int spins = 0; loop.pending.get() > 0; spins++) {
                    if (spins < 20_000) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
                rethrow(mine != null ? mine : loop.failure);
                return true;
            } finally {
                busy.unlock();
            }
        }

        private static void rethrow(Throwable e) {
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error err) {
                throw err;
            }
            if (e != null) {
                throw new RuntimeException(e);
            }
        }

        /** Waits for a loop other than {@code seen}, spinning, then parked; null once stopped. */
        Loop awaitLoop(Worker w, Loop seen) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (true) {
                Loop loop = current;
                if (loop != seen) {
                    return loop;
                }
                if (stopped) {
                    return null;
                }
                if (System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                    continue;
                }
                w.parked = true;
                // re-read after announcing it: a loop published meanwhile unparks us or is seen here
                if (current == seen && !stopped) {
                    LockSupport.park(this);
                }
                w.parked = false;
                deadline = System.nanoTime() + SPIN_NANOS;
            }
        }
    }
}

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
 *
 * <p>{@link #forRangeBalanced} is the inference kernels' loop: the same chunks, but a thread
 * done with its own takes over the pieces another has not started, so that a slower core (a
 * neighbour on the machine, a late wake-up) does not leave the others waiting. Its cut varies
 * from run to run, so it is only for loops whose results do not depend on it; loops that sum
 * across indices in chunk order (training's weight gradients) keep {@link #forRange}.
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

    /**
     * Like {@link #forRange}, for loops whose pieces may run on any thread in any order: each
     * thread starts on its own chunk of [0, n) and takes it piece by piece from the front (a
     * quarter of what is left of it, at least {@code piece} indices), and a thread done with its
     * own chunk takes what another has not started yet, {@code piece} indices at a time from the
     * back of that chunk. On a shared machine one core is often slower than the other for a
     * while, and a worker woken from parking can start hundreds of µs late: with fixed chunks the
     * faster thread waits for the slower one (here 2–5 ms of a 17 ms batch-1 forward, and 50 ms
     * of a 190 ms batch-16 forward in a busy phase), here it takes over the remaining pieces.
     * Which thread runs which piece, and how the range is cut into calls of {@code body}, vary
     * from run to run: only for bodies whose every index's result is the same however the range
     * is cut (no sums across indices). Runs inline when there is one piece.
     */
    public static void forRangeBalanced(int n, int piece, RangeBody body) {
        if (n <= 0) {
            return;
        }
        int g = finestPieces ? 1 : Math.max(1, piece);
        int t = threads;
        int pieces = (int) Math.min(Integer.MAX_VALUE, ((long) n + g - 1) / g);
        int chunks = Math.min(t, pieces);
        if (chunks <= 1 || ForkJoinTask.inForkJoinPool() || Thread.currentThread() instanceof Worker) {
            body.run(0, n);
            return;
        }
        Team tm = team;
        if (tm != null && tm.size() >= chunks - 1 && tm.tryRun(new Loop(n, chunks, g, body))) {
            return;
        }
        forRange(n, g, body);
    }

    /** Whether balanced loops run one index per call (tests: cuts other than the usual). */
    private static volatile boolean finestPieces;

    /**
     * For tests: balanced loops take one index at a time, owners included, so that their bodies
     * run on cuts unlike the usual ones (the results must not change).
     */
    public static void finestPieces(boolean on) {
        finestPieces = on;
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

    /**
     * One parallel loop: chunk c of {@code chunks} is [n·c/chunks, n·(c+1)/chunks). A balanced
     * loop ({@code piece > 0}) keeps for each chunk the range not yet taken, [front, back),
     * packed in one long: its owner takes pieces from the front, other threads from the back.
     */
    private static final class Loop {
        /** Longs between two chunks' cursors, so that they sit on different cache lines. */
        private static final int PAD = 16;
        final int n;
        final int chunks;
        final RangeBody body;
        /** Fixed chunks: worker chunks not yet finished. Balanced: indices not yet finished. */
        final AtomicInteger pending;
        final int piece;
        /** Whether an owner takes a quarter of what is left of its chunk (else one piece). */
        final boolean guided;
        final java.util.concurrent.atomic.AtomicLongArray cursors;
        volatile Throwable failure;

        Loop(int n, int chunks, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.pending = new AtomicInteger(chunks - 1);
            this.piece = 0;
            this.guided = false;
            this.cursors = null;
        }

        Loop(int n, int chunks, int piece, RangeBody body) {
            this.n = n;
            this.chunks = chunks;
            this.body = body;
            this.pending = new AtomicInteger(n);
            this.piece = piece;
            this.guided = !finestPieces;
            this.cursors = new java.util.concurrent.atomic.AtomicLongArray(chunks * PAD);
            for (int c = 0; c < chunks; c++) {
                cursors.set(c * PAD, pack(start(c), start(c + 1)));
            }
        }

        int start(int c) {
            return (int) ((long) n * c / chunks);
        }

        static long pack(int front, int back) {
            return (long) front << 32 | (back & 0xffffffffL);
        }

        /** Chunk c's part for a fixed loop; for a balanced one, chunk c and then what is left of the others. */
        void runChunk(int c) {
            if (c >= chunks) {
                return; // fewer chunks than workers: not counted in pending
            }
            if (cursors != null) {
                runBalanced(c);
                return;
            }
            try {
                body.run(start(c), start(c + 1));
            } catch (Throwable e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }

        /** Whether all of the loop's work is finished (for the caller, after its own part). */
        boolean done() {
            return pending.get() <= 0;
        }

        private void runBalanced(int self) {
            while (take(self, true)) {
                // own chunk, front to back
            }
            for (int k = 1; k < chunks; k++) {
                int other = (self + k) % chunks;
                while (take(other, false)) {
                    // the rest of another chunk, back to front
                }
            }
        }

        /** Takes and runs one piece of chunk c, from its front or its back; false when none is left. */
        private boolean take(int c, boolean front) {
            int i = c * PAD;
            while (true) {
                long v = cursors.get(i);
                int f = (int) (v >>> 32);
                int b = (int) v;
                if (f >= b) {
                    return false;
                }
                // the owner takes a quarter of what is left (at least a piece), so that its calls
                // stay long while there is much left and get short at the end; others one piece
                int lo = front ? f : Math.max(f, b - piece);
                int hi = front ? Math.min(b, f + (guided ? Math.max(piece, (b - f) / 4) : piece)) : b;
                if (cursors.compareAndSet(i, v, front ? pack(hi, b) : pack(f, lo))) {
                    try {
                        if (failure == null) {
                            body.run(lo, hi);
                        }
                    } catch (Throwable e) {
                        failure = e;
                    } finally {
                        pending.addAndGet(lo - hi);
                    }
                    return true;
                }
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
            return tryRun(new Loop(n, chunks, body));
        }

        /** {@link #tryRun(int, int, RangeBody)} for a loop already made (fixed or balanced). */
        boolean tryRun(Loop loop) {
            if (busy.isHeldByCurrentThread()) {
                loop.body.run(0, loop.n);
                return true;
            }
            if (!busy.tryLock()) {
                return false;
            }
            try {
                if (stopped) {
                    return false;
                }
                current = loop;
                for (int i = 0; i < loop.chunks - 1; i++) {
                    if (workers[i].parked) {
                        LockSupport.unpark(workers[i]);
                    }
                }
                Throwable mine = null;
                if (loop.cursors != null) {
                    loop.runChunk(0);
                } else {
                    try {
                        loop.body.run(0, loop.start(1));
                    } catch (Throwable e) {
                        mine = e;
                    }
                }
                // the workers' chunks are about as long as ours: spin, then yield
                for (int spins = 0; !loop.done(); spins++) {
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

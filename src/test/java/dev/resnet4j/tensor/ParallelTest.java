package dev.resnet4j.tensor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The team behind {@link Parallel#forRange}: every index exactly once, in the documented
 * chunks, for many loops in a row (the workers' hand-off), from the caller and from loops
 * nested inside chunks, from several threads at once (the fork-join fallback), across
 * {@link Parallel#setThreads}, and with failures rethrown to the caller; and the balanced loops
 * ({@link Parallel#forRangeBalanced}): every index once however the threads share the pieces,
 * a stalled worker's pieces taken over by the caller, failures, nesting, concurrent callers.
 */
class ParallelTest {
    private static final int DEFAULT_THREADS = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(DEFAULT_THREADS);
    }

    private static void assertEachOnce(AtomicIntegerArray hits, int n, String what) {
        for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), what + ": index " + i);
        }
    }

    @Test
    void everyIndexOnceInTheDocumentedChunks() {
        for (int threads : new int[]{1, 2, 3, 4}) {
            Parallel.setThreads(threads);
            for (int loop = 0; loop < 2000; loop++) {
                int n = 1 + loop % 37;
                int grain = 1 + loop % 3;
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                List<int[]> ranges = java.util.Collections.synchronizedList(new ArrayList<>());
                Parallel.forRange(n, grain, (lo, hi) -> {
                    ranges.add(new int[]{lo, hi});
                    for (int i = lo; i < hi; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                assertEachOnce(hits, n, "threads " + threads + " loop " + loop);
                int chunks = Math.min(threads, Math.max(1, n / grain));
                assertEquals(chunks, ranges.size(), "chunks for n=" + n + " grain=" + grain + " threads=" + threads);
                for (int[] r : ranges) {
                    boolean documented = false;
                    for (int c = 0; c < chunks; c++) {
                        documented |= r[0] == n * c / chunks && r[1] == n * (c + 1) / chunks;
                    }
                    assertTrue(documented, "range [" + r[0] + ", " + r[1] + ") of n=" + n + " in " + chunks);
                }
            }
        }
    }

    private static void loop(boolean balanced, int n, Parallel.RangeBody body) {
        if (balanced) {
            Parallel.forRangeBalanced(n, 1, body);
        } else {
            Parallel.forRange(n, 1, body);
        }
    }

    @Test
    void nestedLoopsAndConcurrentCallers() throws Exception {
        Parallel.setThreads(2);
        int callers = 3;
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (int loop = 0; loop < 300; loop++) {
                        int n = 20;
                        AtomicIntegerArray hits = new AtomicIntegerArray(n * n);
                        boolean balanced = loop % 2 == 1; // both kinds of loop, from several callers at once
                        loop(balanced, n, (lo, hi) -> {
                            for (int i = lo; i < hi; i++) {
                                int row = i;
                                loop(!balanced, n, (a, b) -> {
                                    for (int j = a; j < b; j++) {
                                        hits.incrementAndGet(row * n + j);
                                    }
                                });
                            }
                        });
                        assertEachOnce(hits, n * n, "nested loop " + loop);
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) {
            th.join(60_000);
            assertTrue(!th.isAlive(), "a caller is stuck");
        }
        assertNull(failed.get());
    }

    @Test
    void failuresReachTheCaller() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("boom");
        for (int chunk = 0; chunk < 2; chunk++) {
            int bad = chunk;
            IllegalStateException got = assertThrows(IllegalStateException.class, () -> Parallel.forRange(2, 1, (lo, hi) -> {
                if (lo == bad) {
                    throw boom;
                }
            }));
            assertSame(boom, got, "chunk " + chunk);
            // the team still works afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            Parallel.forRange(10, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    hits.incrementAndGet(i);
                }
            });
            assertEachOnce(hits, 10, "after a failure in chunk " + chunk);
        }
    }

    @Test
    void loopsAfterTheWorkersParked() throws InterruptedException {
        Parallel.setThreads(2);
        for (int round = 0; round < 5; round++) {
            Thread.sleep(2 + Parallel.SPIN_NANOS / 1_000_000); // past the spin: the worker parks
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            Parallel.forRange(64, 1, (lo, hi) -> {
                for (int i = lo; i < hi; i++) {
                    hits.incrementAndGet(i);
                }
            });
            assertEachOnce(hits, 64, "round " + round);
        }
    }

    @Test
    void balancedLoopsRunEveryIndexOnce() {
        java.util.Random rnd = new java.util.Random(5);
        for (int threads : new int[]{1, 2, 3, 4}) {
            Parallel.setThreads(threads);
            for (int loop = 0; loop < 1500; loop++) {
                int n = loop % 61;
                int piece = 1 + loop % 4;
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                // some pieces spin a little, so that threads finish at different times and take each other's
                int slow = rnd.nextInt(Math.max(1, n));
                Parallel.forRangeBalanced(n, piece, (lo, hi) -> {
                    assertTrue(0 <= lo && lo < hi && hi <= n, "range [" + lo + ", " + hi + ") of " + n);
                    for (int i = lo; i < hi; i++) {
                        hits.incrementAndGet(i);
                        if (i == slow) {
                            long end = System.nanoTime() + 20_000;
                            while (System.nanoTime() < end) {
                                Thread.onSpinWait();
                            }
                        }
                    }
                });
                assertEachOnce(hits, n, "threads " + threads + " loop " + loop);
            }
        }
    }

    @Test
    void balancedLoopsTakeOverASlowThreadsPieces() {
        Parallel.setThreads(2);
        Thread caller = Thread.currentThread();
        int n = 64;
        AtomicIntegerArray byCaller = new AtomicIntegerArray(n);
        java.util.concurrent.atomic.AtomicBoolean stalled = new java.util.concurrent.atomic.AtomicBoolean();
        Parallel.forRangeBalanced(n, 1, (lo, hi) -> {
            if (Thread.currentThread() != caller && stalled.compareAndSet(false, true)) {
                try {
                    Thread.sleep(200); // the worker's first piece stalls
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            // the caller's first piece waits (up to 10 s) until the worker is in its stalled piece
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Thread.currentThread() == caller && lo == 0 && !stalled.get() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            for (int i = lo; i < hi; i++) {
                if (Thread.currentThread() == caller) {
                    byCaller.incrementAndGet(i);
                }
            }
        });
        assertTrue(stalled.get(), "the worker ran a piece");
        // the caller ran its own half, and all of the worker's but the stalled piece (the first
        // quarter of the worker's chunk: an owner takes a quarter of what is left at a time)
        int taken = 0;
        for (int i = n / 2; i < n; i++) {
            taken += byCaller.get(i);
        }
        assertEquals(n / 2 - n / 8, taken, "indices of the worker's chunk that the caller ran");
        for (int i = 0; i < n / 2; i++) {
            assertEquals(1, byCaller.get(i), "own index " + i);
        }
    }

    @Test
    void balancedLoopsRethrowAndNestInline() {
        Parallel.setThreads(2);
        IllegalStateException boom = new IllegalStateException("boom");
        for (int bad : new int[]{0, 31, 63}) {
            IllegalStateException got = assertThrows(IllegalStateException.class,
                    () -> Parallel.forRangeBalanced(64, 1, (lo, hi) -> {
                        if (lo <= bad && bad < hi) {
                            throw boom;
                        }
                    }));
            assertSame(boom, got, "index " + bad);
        }
        // a loop inside a piece runs on that piece's thread; the team works afterwards
        AtomicIntegerArray hits = new AtomicIntegerArray(16 * 16);
        Parallel.forRangeBalanced(16, 1, (lo, hi) -> {
            for (int i = lo; i < hi; i++) {
                int row = i;
                Thread t = Thread.currentThread();
                Parallel.forRangeBalanced(16, 1, (a, b) -> {
                    assertSame(t, Thread.currentThread(), "nested piece on another thread");
                    for (int j = a; j < b; j++) {
                        hits.incrementAndGet(row * 16 + j);
                    }
                });
            }
        });
        assertEachOnce(hits, 16 * 16, "nested");
    }
}

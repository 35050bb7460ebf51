package dev.resnet4j.cli;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The machine's FP32 peak as the benchmark sees it: every thread runs independent chains of
 * vector fused multiply-adds (enough of them to cover the FMA latency on two pipes) with no
 * memory traffic, and the flops are divided by each thread's CPU time, so other processes on a
 * shared machine do not lower the figure. With 256-bit vectors that is about 102 GFLOP/s a
 * core here (2 FMA pipes × 8 lanes × 2 flops × ~3.2 GHz); the project's EPYC (Zen 5) runs
 * 512-bit FMAs at full width, and the JVM's preferred species is 512-bit, so it measures
 * about twice that.
 */
final class PeakFlops {
    /** Nominal FP32 peak of one core of the project's machine, used when measuring fails. */
    static final double NOMINAL_PER_CORE = 102.0;

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** A measured or assumed peak and where it came from. */
    record Peak(double gflops, String source) {
    }

    private PeakFlops() {
    }

    /** Measures the peak on {@code threads} threads; falls back to 102 × threads. */
    static Peak measure(int threads) {
        try {
            double g = run(threads);
            if (g > 1 && Double.isFinite(g)) {
                return new Peak(g, "measured (FMA micro-benchmark, " + S.length() + " float lanes, " + threads
                        + " threads, per thread CPU-second)");
            }
            return new Peak(NOMINAL_PER_CORE * threads, "assumed 102 GFLOP/s x " + threads + " (measurement gave " + g + ")");
        } catch (LinkageError | RuntimeException | InterruptedException e) {
            return new Peak(NOMINAL_PER_CORE * threads, "assumed 102 GFLOP/s x " + threads + " (measurement failed: " + e + ")");
        }
    }

    private static double run(int threads) throws InterruptedException {
        // Warm up until C2 has compiled the loop: the Vector API is slow in the lower tiers.
        float sink = 0;
        for (int i = 0; i < 20_000; i++) {
            sink += chain(50);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double best = 0;
            long iters = 2_000_000;
            double flopsPerTask = 2.0 * S.length() * 10 * iters;
            for (int round = 0; round < 5; round++) {
                List<Callable<double[]>> tasks = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    tasks.add(() -> {
                        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                        long c0 = mx.getCurrentThreadCpuTime();
                        float r = chain(iters);
                        long c1 = mx.getCurrentThreadCpuTime();
                        return new double[]{r, c0 < 0 || c1 <= c0 ? Double.NaN : (c1 - c0) / 1e9};
                    });
                }
                long t0 = System.nanoTime();
                double perCpuSecond = 0;
                for (Future<double[]> f : pool.invokeAll(tasks)) {
                    double[] r = f.get();
                    sink += (float) r[0];
                    perCpuSecond += flopsPerTask / r[1] / 1e9;
                }
                double wall = flopsPerTask * threads / ((System.nanoTime() - t0) / 1e9) / 1e9;
                // per thread CPU-second: what the cores do when they run us, whoever else is
                // on the machine; wall clock only where thread CPU time is not available
                best = Math.max(best, Double.isFinite(perCpuSecond) ? perCpuSecond : wall);
            }
            if (sink == 42.4242f) {
                System.err.print("");
            }
            return best;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Ten independent FMA chains, {@code n} steps each. */
    private static float chain(long n) {
        FloatVector a = FloatVector.broadcast(S, 0.999999f);
        FloatVector b = FloatVector.broadcast(S, 1e-7f);
        FloatVector c0 = FloatVector.broadcast(S, 1f);
        FloatVector c1 = FloatVector.broadcast(S, 2f);
        FloatVector c2 = FloatVector.broadcast(S, 3f);
        FloatVector c3 = FloatVector.broadcast(S, 4f);
        FloatVector c4 = FloatVector.broadcast(S, 5f);
        FloatVector c5 = FloatVector.broadcast(S, 6f);
        FloatVector c6 = FloatVector.broadcast(S, 7f);
        FloatVector c7 = FloatVector.broadcast(S, 8f);
        FloatVector c8 = FloatVector.broadcast(S, 9f);
        FloatVector c9 = FloatVector.broadcast(S, 10f);
        for (long i = 0; i < n; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(
                jdk.incubator.vector.VectorOperators.ADD);
    }
}

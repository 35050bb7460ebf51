package dev.resnet4j.kernels;
/**
 * {@link GemmVectorKernel#kernelPixels} alone, GFLOP/s on one thread: a run of {@code run} channels
 * per call, {@code chunks} distinct weight chunks cycled (1: the chunk stays in L1/L2; many: the
 * weights come from L3 or memory, as in a network), {@code tiles} calls per chunk. Args: run,
 * chunks, tiles (e.g. {@code 1536 1 7} and {@code 1536 48 7} for layer4's 3×3 at batch 1).
 */
public final class PixelKernelProbe {
    private PixelKernelProbe() {
    }

    public static void main(String[] args) {
        int nr = GemmVectorKernel.NR;
        int run = Integer.parseInt(args[0]);
        int chunks = Integer.parseInt(args[1]); // distinct weight chunks cycled (1 = L1/L2 resident)
        int tilesPerChunk = Integer.parseInt(args[2]);
        float[] x = new float[run * 8 + 64];
        float[] wp = new float[run * nr * chunks + 64];
        float[] tile = new float[(7 * nr + 1) * tilesPerChunk];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) * 0.01f;
        for (int i = 0; i < wp.length; i++) wp[i] = (i % 5) * 0.01f;
        for (int round = 0; round < 3; round++) {
            long best = Long.MAX_VALUE;
            int calls = 0;
            for (int rep = 0; rep < 5; rep++) {
                calls = 0;
                long t0 = System.nanoTime();
                for (int it = 0; it < 20; it++) {
                    for (int ch = 0; ch < chunks; ch++) {
                        for (int t = 0; t < tilesPerChunk; t++) {
                            GemmVectorKernel.kernelPixels(run, 0, x, 0, run, 2 * run, 3 * run, 4 * run, 5 * run,
                                    6 * run, wp, ch * run * nr, tile, t * (7 * nr + 1), true);
                            calls++;
                        }
                    }
                }
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.printf("run %d, %d chunks (%d KB), %d tiles each: %.0f GFLOP/s%n", run, chunks,
                    (long) run * nr * 4 * chunks / 1024, tilesPerChunk, 2.0 * 7 * nr * run * calls / best);
        }
    }
}

package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;
import java.util.Random;

/**
 * Winograd's block budget ({@code Winograd.BLOCK_BYTES}) A/B/C in one JVM: the settings take
 * turns call by call on the same convolution, so a busy phase of the machine hits them alike.
 * Args: iterations, threads; {@code -Dbatch}, {@code -Dshape=c,h} (a c→c 3×3 map of h×h),
 * {@code -Dtile=4}, {@code -DblocksKB=512,1024,2048}. Prints each setting's median and its
 * ratio to the first.
 */
public final class WinogradBlockBench {
    private WinogradBlockBench() {
    }

    public static void main(String[] args) throws InterruptedException {
        int iters = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Parallel.setThreads(threads);
        Gemm.awaitVectorKernel(120_000);
        int n = Integer.getInteger("batch", 16);
        int[] sh = Arrays.stream(System.getProperty("shape", "64,56").split(",")).mapToInt(Integer::parseInt).toArray();
        int m = Integer.getInteger("tile", 4);
        // settings KB[:blocks per worker]
        String[] set = System.getProperty("blocksKB", "1024,2048,512").split(",");
        long[] kb = Arrays.stream(set).mapToLong(q -> Long.parseLong(q.split(":")[0])).toArray();
        int[] per = Arrays.stream(set).mapToInt(q -> q.contains(":") ? Integer.parseInt(q.split(":")[1]) : 0).toArray();
        int c = sh[0];
        int h = sh[1];
        Convolution.Shape s = new Convolution.Shape(n, c, h, h, c, 3, 3, 1, 1);
        Random r = new Random(3);
        float[] x = new float[n * c * h * h];
        float[] w = new float[c * c * 9];
        float[] b = new float[c];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < w.length; i++) w[i] = (r.nextFloat() - 0.5f) * 0.1f;
        float[] res = x.clone();
        float[] y = new float[x.length];
        float[] u = Winograd.transformWeights(m, w, c, c);
        double[] med = Alternating.medians(kb.length, iters, q -> {
            Winograd.BLOCK_BYTES = kb[q] << 10;
            Winograd.BLOCKS_PER_WORKER = per[q];
        }, () -> Winograd.forward(m, s, x, u, b, res, true, y));
        for (int v = 0; v < kb.length; v++) {
            Winograd.BLOCK_BYTES = kb[v] << 10;
            Winograd.BLOCKS_PER_WORKER = per[v];
            int[][] blocks = Winograd.blocks(new Winograd.Plan(m, s), n, threads);
            System.out.printf("batch %d c=%d h=%d F(%d,3) block %5d KB:%d (%d blocks of %d tiles): median %.3f ms  (%.3f of the first)%n",
                    n, c, h, m, kb[v], per[v], blocks.length, blocks[0][1] - blocks[0][0], med[v], med[v] / med[0]);
        }
    }
}

package dev.resnet4j.compare;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.lang.reflect.Method;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * resnet4j and ONNX Runtime inference in one JVM, alternating block by block, so that a burst
 * of load on a shared machine hits both alike: separate processes minutes apart (the rounds of
 * run.sh) differ by up to 30 % here for the same code. Each block runs one implementation for
 * one untimed and {@code per} timed iterations back to back (its threads hot, as in a
 * steady-state loop), then sleeps {@link #PAUSE_MS} so that its spinning threads park before
 * the other's block; the two alternate which goes first. Prints, per batch size, one JSON line per
 * implementation (median and min over all timed iterations) and one with the median over
 * blocks of the paired ratio (resnet4j images/s ÷ ONNX Runtime's, from the two blocks' medians).
 *
 * <p>resnet4j is reached by reflection (its jar and lib/ on the class path, the JVM started
 * with {@code --add-modules jdk.incubator.vector}), so this module does not depend on it; the
 * weights are its random initialisation, the ONNX file's are PyTorch's, which changes nothing
 * in the time of a dense forward.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ort-bench.jar:lib/*:resnet4j.jar:resnet4j-lib/* \
 *      dev.resnet4j.compare.Interleaved MODEL.onnx [--batch 1,16] [--threads 2] [--blocks 40,12]
 *      [--per 2] [--warmup-seconds 5] [--num-classes 1000] [--input 3x224x224]
 * </pre>
 */
public final class Interleaved {
    private Interleaved() {
    }

    public static void main(String[] args) throws Exception {
        String model = args[0];
        String batches = "1,16";
        String blocksArg = "40,12";
        String input = "3x224x224";
        int threads = 2;
        int per = 2;
        int numClasses = 1000;
        double warmupSeconds = 5;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--batch" -> batches = args[i + 1];
                case "--blocks" -> blocksArg = args[i + 1];
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--per" -> per = Integer.parseInt(args[i + 1]);
                case "--input" -> input = args[i + 1];
                case "--num-classes" -> numClasses = Integer.parseInt(args[i + 1]);
                case "--warmup-seconds" -> warmupSeconds = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        int[] chw = Arrays.stream(input.split("x")).mapToInt(Integer::parseInt).toArray();
        String[] bs = batches.split(",");
        String[] blockCounts = blocksArg.split(",");

        // resnet4j, by reflection
        Class.forName("dev.resnet4j.tensor.Parallel").getMethod("setThreads", int.class).invoke(null, threads);
        Class<?> tensorClass = Class.forName("dev.resnet4j.tensor.Tensor");
        Object net = Class.forName("dev.resnet4j.models.ResNets").getMethod("resnet18", int.class, boolean.class)
                .invoke(null, numClasses, false);
        net.getClass().getMethod("eval").invoke(net);
        Method forward = net.getClass().getMethod("forward", tensorClass);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = OrtBench.sessionOptions(threads)) {
            try (OrtSession session = env.createSession(model, opts)) {
                String inputName = session.getInputNames().iterator().next();
                for (int q = 0; q < bs.length; q++) {
                    int batch = Integer.parseInt(bs[q].trim());
                    int blocks = Integer.parseInt(blockCounts[Math.min(q, blockCounts.length - 1)].trim());
                    float[] data = new float[batch * chw[0] * chw[1] * chw[2]];
                    Random rnd = new Random(batch);
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (float) rnd.nextGaussian();
                    }
                    Object x = tensorClass.getConstructor(float[].class, int[].class)
                            .newInstance(data, new int[]{batch, chw[0], chw[1], chw[2]});
                    try (OnnxTensor ox = OnnxTensor.createTensor(env, FloatBuffer.wrap(data),
                            new long[]{batch, chw[0], chw[1], chw[2]})) {
                        Map<String, OnnxTensor> feed = Map.of(inputName, ox);
                        Step r4j = () -> forward.invoke(net, x);
                        Step ort = () -> session.run(feed).close();
                        long end = System.nanoTime() + (long) (warmupSeconds * 1e9);
                        while (System.nanoTime() < end) { // both warm up, alternately
                            r4j.run();
                            ort.run();
                        }
                        List<Double> tr = new ArrayList<>();
                        List<Double> to = new ArrayList<>();
                        double[] ratios = new double[blocks];
                        for (int b = 0; b < blocks; b++) {
                            double[] mr;
                            double[] mo;
                            if (b % 2 == 0) {
                                mr = block(r4j, per);
                                mo = block(ort, per);
                            } else {
                                mo = block(ort, per);
                                mr = block(r4j, per);
                            }
                            for (double v : mr) {
                                tr.add(v);
                            }
                            for (double v : mo) {
                                to.add(v);
                            }
                            ratios[b] = median(mo) / median(mr);
                        }
                        double[] ar = tr.stream().mapToDouble(d -> d).sorted().toArray();
                        double[] ao = to.stream().mapToDouble(d -> d).sorted().toArray();
                        Arrays.sort(ratios);
                        print("resnet4j", input, numClasses, batch, threads, ar);
                        print("onnxruntime", input, numClasses, batch, threads, ao);
                        System.out.printf(Locale.ROOT, "{\"impl\":\"interleaved-ratio\",\"input\":\"%s\",\"batch\":%d,"
                                        + "\"threads\":%d,\"blocks\":%d,\"ratio_median\":%.4f,\"ratio_q1\":%.4f,"
                                        + "\"ratio_q3\":%.4f,\"resnet4j_ahead_blocks\":%d}%n",
                                input, batch, threads, blocks, median(ratios), ratios[blocks / 4],
                                ratios[(3 * blocks) / 4], Arrays.stream(ratios).filter(r -> r > 1).count());
                        System.out.flush();
                    }
                }
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    /**
     * The pause after each block. ONNX Runtime's intra-op workers spin after a run before they
     * block (2^20 pause instructions, ~16 ms on a 4 GHz Zen by ORT's own account, issue #27916):
     * here the process still used CPU 15–25 ms after a run, so with the 20 ms pause of stop 18
     * a spinning ORT worker could take a core from resnet4j's next block (its forward after an
     * ORT block 10.36 ms against 9.97 after its own, one run; none with 200 ms). resnet4j's own
     * workers spin 200 µs.
     */
    static final int PAUSE_MS = 100;

    /** One untimed and {@code per} timed runs back to back, then a {@link #PAUSE_MS} pause; the timed ones in ms. */
    private static double[] block(Step step, int per) throws Exception {
        step.run();
        double[] ms = new double[per];
        for (int i = 0; i < per; i++) {
            long t0 = System.nanoTime();
            step.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Thread.sleep(PAUSE_MS);
        return ms;
    }

    private static double median(double[] v) {
        double[] a = v.clone();
        Arrays.sort(a);
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }

    private static void print(String impl, String input, int numClasses, int batch, int threads, double[] sorted) {
        double med = median(sorted);
        System.out.printf(Locale.ROOT, "{\"impl\":\"%s-interleaved\",\"arch\":\"resnet18\",\"num_classes\":%d,"
                        + "\"input\":\"%s\",\"batch\":%d,\"train\":false,\"threads\":%d,\"iterations\":%d,"
                        + "\"median_ms\":%.4f,\"min_ms\":%.4f,\"images_per_second\":%.3f}%n",
                impl, numClasses, input, batch, threads, sorted.length, med, sorted[0], batch / (med / 1e3));
    }
}

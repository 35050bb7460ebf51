package dev.resnet4j.perf;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.nn.Module;
import dev.resnet4j.optim.Adam;
import dev.resnet4j.optim.Optimizer;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * End-to-end timing of a resnet18 training step (forward, loss, backward, optimiser) or an
 * eval-mode forward, on random data. Prints the median wall time per step, images/s, the
 * process CPU time per step (the figure that survives a shared, noisy machine) and, for
 * training, a median per-stage breakdown (stem, layer1..4, head, optimiser).
 *
 * <p>Run (after {@code mvn -o -q -B test-compile -Dbuild.dir=...}):
 * <pre>
 * java --add-modules jdk.incubator.vector -cp $B/classes:$B/test-classes \
 *      dev.resnet4j.perf.TrainStepBench MODE [batch] [steps] [threads]
 * </pre>
 * MODE is {@code mnist} (1×28×28, Adam), {@code cifar} (3×32×32, SGD momentum 0.9) or
 * {@code infer224} (3×224×224, eval mode, folded BN). Defaults: batch 128 (16 for
 * infer224), 10 steps after 10 warm-up steps (-Dwarmup=), all cores. The heap needs a few
 * steps to grow to its working size; before it has, every step pays for a young collection.
 */
public final class TrainStepBench {
    /** ResNet keeps its stem ReLU private (it has no state dict entry); an equal one. */

    private TrainStepBench() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "mnist";
        boolean infer = mode.equals("infer224");
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : infer ? 16 : 128;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        int warmup = Integer.getInteger("warmup", 10);
        Parallel.setThreads(threads);

        boolean gray = mode.equals("mnist");
        int size = switch (mode) {
            case "mnist" -> 28;
            case "cifar" -> 32;
            case "infer224" -> 224;
            default -> throw new IllegalArgumentException("mode is mnist, cifar or infer224, got " + mode);
        };
        int channels = gray ? 1 : 3;
        int classes = infer ? 1000 : 10;
        ResNet net = ResNets.resnet18(classes, gray);
        Random rnd = new Random(42);
        Tensor x = Tensor.zeros(batch, channels, size, size);
        float[] xd = x.data();
        for (int i = 0; i < xd.length; i++) {
            xd[i] = (float) rnd.nextGaussian();
        }
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = rnd.nextInt(classes);
        }
        Optimizer opt = mode.equals("mnist")
                ? new Adam(net.namedParameters(), 1e-3)
                : new SGD(net.namedParameters(), 0.01, 0.9, 5e-4);
        CrossEntropyLoss loss = new CrossEntropyLoss();
        if (infer) {
            net.eval();
        } else {
            net.train(true);
            net.reuseBuffers(true); // as the trainer and `resnet bench --train` run it (until 2026-11-26 it did not:
            // each step then allocated and zeroed ~118 MB of activations, ~2.5 % of a step in Tensor.zeros)
        }

        Map<String, List<Double>> stages = new LinkedHashMap<>();
        List<Double> wall = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> gc = new ArrayList<>();
        List<Double> alloc = new ArrayList<>();
        for (int s = 0; s < warmup + steps; s++) {
            long c0 = processCpuNanos();
            long g0 = gcMillis();
            long a0 = allocatedBytes();
            long t0 = System.nanoTime();
            Map<String, Double> st = new LinkedHashMap<>();
            if (infer) {
                net.forward(x);
            } else {
                step(net, x, labels, loss, opt, st);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            double cms = (processCpuNanos() - c0) / 1e6;
            double gms = gcMillis() - g0;
            double mb = (allocatedBytes() - a0) / 1e6;
            if (s >= warmup) {
                wall.add(ms);
                cpu.add(cms);
                gc.add(gms);
                alloc.add(mb);
                st.forEach((k, v) -> stages.computeIfAbsent(k, q -> new ArrayList<>()).add(v));
            }
            System.out.printf("step %2d: %8.1f ms  cpu %8.1f ms  gc %6.1f ms  alloc %6.1f MB%s%n", s, ms, cms, gms, mb,
                    s < warmup ? "  (warm-up)" : "");
        }
        double med = median(wall);
        System.out.printf("%s batch %d threads %d: median %.1f ms/step (min %.1f), %.1f images/s, cpu %.1f ms/step,"
                        + " gc %.1f ms/step, alloc %.0f MB/step%n",
                mode, batch, threads, med, wall.stream().mapToDouble(d -> d).min().orElse(0), batch * 1000 / med,
                median(cpu), median(gc), median(alloc));
        if (!stages.isEmpty()) {
            System.out.println("median per stage (ms):");
            stages.forEach((k, v) -> System.out.printf("  %-18s %8.1f%n", k, median(v)));
        }
    }

    /** One training step, timing each top-level stage forward and backward. */
    private static void step(ResNet net, Tensor x, int[] labels, CrossEntropyLoss loss, Optimizer opt,
                             Map<String, Double> st) {
        opt.zeroGrad();
        // the stem as the model runs it: BN and ReLU fused, no gradient w.r.t. the images
        Module[] layers = {net.layer1, net.layer2, net.layer3, net.layer4};
        long t = System.nanoTime();
        Tensor h = net.conv1.forward(x);
        add(st, "fwd conv1", t);
        t = System.nanoTime();
        h = net.bn1.forwardRelu(h);
        add(st, "fwd bn1+relu", t);
        t = System.nanoTime();
        h = net.maxpool.forward(h);
        add(st, "fwd maxpool", t);
        for (int i = 0; i < layers.length; i++) {
            t = System.nanoTime();
            h = layers[i].forward(h);
            add(st, "fwd layer" + (i + 1), t);
        }
        t = System.nanoTime();
        h = net.avgpool.forward(h);
        Tensor flat = h.reshape(h.dim(0), h.dim(1));
        Tensor logits = net.fc.forward(flat);
        loss.forward(logits, labels);
        Tensor g = net.fc.backward(loss.backward());
        g = g.reshape(h.shape());
        g = net.avgpool.backward(g);
        add(st, "head fwd+bwd", t);
        for (int i = layers.length - 1; i >= 0; i--) {
            t = System.nanoTime();
            g = layers[i].backward(g);
            add(st, "bwd layer" + (i + 1), t);
        }
        t = System.nanoTime();
        g = net.maxpool.backward(g);
        add(st, "bwd maxpool", t);
        t = System.nanoTime();
        g = net.bn1.backwardRelu(g);
        add(st, "bwd bn1+relu", t);
        t = System.nanoTime();
        net.conv1.backward(g, false);
        add(st, "bwd conv1", t);
        t = System.nanoTime();
        opt.step();
        add(st, "optimizer", t);
    }

    private static void add(Map<String, Double> st, String key, long t0) {
        st.merge(key, (System.nanoTime() - t0) / 1e6, Double::sum);
    }

    /** Collection time of all collectors so far (pauses, for the stop-the-world ones). */
    private static long gcMillis() {
        long t = 0;
        for (var b : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, b.getCollectionTime());
        }
        return t;
    }

    /** Bytes allocated by all live threads so far (the kernels' pool workers included). */
    private static long allocatedBytes() {
        var tm = ManagementFactory.getThreadMXBean();
        if (tm instanceof com.sun.management.ThreadMXBean sun) {
            long total = 0;
            for (long b : sun.getThreadAllocatedBytes(tm.getAllThreadIds())) {
                total += Math.max(0, b);
            }
            return total;
        }
        return 0;
    }

    private static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return 0;
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(d -> d).toArray();
        Arrays.sort(a);
        return a.length == 0 ? 0 : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}

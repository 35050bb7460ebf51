package dev.resnet4j.models;

import dev.resnet4j.nn.CrossEntropyLoss;
import dev.resnet4j.optim.SGD;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link dev.resnet4j.nn.Module#reuseBuffers}: training steps with reused activation and
 * gradient tensors equal steps with fresh ones bit for bit (a stale element left unwritten
 * would show, as the reused tensors hold the previous step's values), also across a change of
 * batch size; and a steady-state step then allocates only a small fraction of what it did.
 */
class BufferReuseTest {

    private static Tensor images(SplittableRandom rng, int n, int c, int hw) {
        Tensor t = Tensor.zeros(n, c, hw, hw);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) rng.nextGaussian();
        }
        return t;
    }

    private static int[] labels(SplittableRandom rng, int n) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(10);
        }
        return y;
    }

    private static Tensor step(ResNet m, SGD opt, CrossEntropyLoss loss, Tensor x, int[] y) {
        opt.zeroGrad();
        Tensor logits = m.forward(x);
        loss.forward(logits, y);
        m.backwardParameters(loss.backward());
        opt.step();
        return logits;
    }

    @Test
    void reusedBuffersGiveTheSameStepsBitForBit() {
        for (String arch : new String[]{"resnet18", "resnet50"}) {
            ResNet fresh = ResNets.create(arch, 10, false, 5);
            ResNet reused = ResNets.create(arch, 10, false, 5);
            reused.reuseBuffers(true);
            SGD a = new SGD(fresh.namedParameters(), 0.05, 0.9, 0.0, 5e-4, true);
            SGD b = new SGD(reused.namedParameters(), 0.05, 0.9, 0.0, 5e-4, true);
            CrossEntropyLoss loss = new CrossEntropyLoss();
            SplittableRandom rng = new SplittableRandom(11);
            int[] batches = {6, 6, 4, 6};
            Tensor previous = null;
            for (int s = 0; s < batches.length; s++) {
                Tensor x = images(rng, batches[s], 3, 40);
                int[] y = labels(rng, batches[s]);
                Tensor la = step(fresh, a, loss, x, y);
                Tensor lb = step(reused, b, loss, x, y);
                assertArrayEquals(la.data(), lb.data(), arch + " logits at step " + s);
                if (previous != null) {
                    assertNotSame(previous, lb, "the network's output is never reused");
                }
                previous = lb;
                Map<String, Tensor> want = fresh.stateDict();
                Map<String, Tensor> got = reused.stateDict();
                for (String k : want.keySet()) {
                    assertArrayEquals(want.get(k).data(), got.get(k).data(), arch + " " + k + " after step " + s);
                }
            }
        }
    }

    @Test
    void theFoldedInferencePlanReusesItsBuffersWithoutStaleValues() throws InterruptedException {
        // the plan keeps one buffer per convolution; a second forward of another batch of the
        // same shape must equal a fresh model's forward of that batch bit for bit. The plan's
        // paths change once the vector kernels are compiled (PackedConv, the indirect and paired
        // products need them; their rounding differs from the direct product's), so wait for
        // that first: otherwise the two forwards can fall on either side of the switch
        org.junit.jupiter.api.Assertions.assertTrue(dev.resnet4j.kernels.Gemm.awaitVectorKernel(120_000),
                "vector kernel never became ready");
        int[][] cases = {{1, 3, 224}, {3, 3, 64}, {2, 1, 28}};
        for (int[] c : cases) {
            SplittableRandom rng = new SplittableRandom(c[0] * 100 + c[2]);
            ResNet used = ResNets.create("resnet18", 10, c[1] == 1, 4);
            ResNet fresh = ResNets.create("resnet18", 10, c[1] == 1, 4);
            used.eval();
            fresh.eval();
            Tensor x1 = images(rng, c[0], c[1], c[2]);
            Tensor x2 = images(rng, c[0], c[1], c[2]);
            Tensor first = used.forward(x1);
            float[] firstCopy = first.data().clone();
            Tensor second = used.forward(x2);
            assertArrayEquals(fresh.forward(x2).data(), second.data(), "second forward " + java.util.Arrays.toString(c));
            assertArrayEquals(firstCopy, first.data(), "the first call's logits are not overwritten");
        }
    }

    @Test
    void aSteadyStateStepAllocatesLittle() {
        int threads = Parallel.threads();
        Parallel.setThreads(1); // all work on this thread, whose allocation the JVM counts
        try {
            long without = stepAllocation(false);
            long with = stepAllocation(true);
            assertTrue(with < without / 10, "a step allocated " + with + " bytes with reuse, " + without + " without");
        } finally {
            Parallel.setThreads(threads);
        }
    }

    private static long stepAllocation(boolean reuse) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ResNet m = ResNets.create("resnet18", 10, true, 2);
        m.reuseBuffers(reuse);
        SGD opt = new SGD(m.namedParameters(), 0.01, 0.9, 0.0);
        CrossEntropyLoss loss = new CrossEntropyLoss();
        SplittableRandom rng = new SplittableRandom(3);
        Tensor x = images(rng, 16, 1, 28);
        int[] y = labels(rng, 16);
        step(m, opt, loss, x, y);
        step(m, opt, loss, x, y);
        long before = bean.getCurrentThreadAllocatedBytes();
        step(m, opt, loss, x, y);
        return bean.getCurrentThreadAllocatedBytes() - before;
    }
}

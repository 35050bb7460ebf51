package dev.resnet4j.models;

import dev.resnet4j.kernels.Gemm;
import dev.resnet4j.kernels.PackedConv;
import dev.resnet4j.kernels.PackedStem;
import dev.resnet4j.kernels.PaddedWinograd;
import dev.resnet4j.tensor.Parallel;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The folded forward with its runs of blocks kept in the padded channels-last layout against
 * the same forward converting at every convolution, bit for bit: ResNet-18 at 224 px (layer3 and
 * layer4 in the run, and with {@link PaddedWinograd} every block from layer1; with two images on
 * two workers layer3's 256 channels in Winograd's depth blocks and a run that ends inside the
 * network, converted back to NCHW; with two images at 64 px layer4's 1×1 projection in the
 * strided product's depth blocks and two runs, layer1 and from layer3) and at 96 and 64 px,
 * ResNet-50 (bottleneck blocks, 1×1 convolutions) at 96 px, 1 and 2 images on 2 and 3 workers,
 * the stem as {@link PackedStem} (its output taken over by a run from block 0, or converted to
 * NCHW) and as the NCHW stem; and which runs of blocks the plan takes.
 */
class PaddedChainTest {
    private static final int THREADS = Parallel.threads();

    @AfterEach
    void restore() {
        Parallel.setThreads(THREADS);
        PackedConv.PADDED = true;
        PaddedWinograd.ON = WINOGRAD;
        PackedStem.ON = STEM;
    }

    private static final boolean WINOGRAD = PaddedWinograd.ON;
    private static final boolean STEM = PackedStem.ON;

    @Test
    void sameLogitsWithAndWithoutTheChain() throws InterruptedException {
        assertTrue(Gemm.awaitVectorKernel(120_000), "vector kernel never became ready");
        // arch, threads, batch, size, the runs of blocks in the layout ("from-to,…") without and
        // with PaddedWinograd ("a|b": a where PackedConv's tiles run in pairs, which takes
        // layer2's stride-2 convolution at batch 2, else b)
        Object[][] cases = {
            {"resnet18", 2, 1, 224, "4-8", "0-8"}, {"resnet18", 3, 1, 96, "2-8", "0-8"},
            {"resnet18", 3, 2, 64, "2-8", "0-8"}, {"resnet50", 2, 1, 96, "3-16", "3-16"},
            {"resnet18", 2, 2, 64, "4-8", "0-2,4-8"}, {"resnet18", 2, 2, 224, "", "0-6|0-2,3-6"},
        };
        for (Object[] c : cases) {
            String arch = (String) c[0];
            int threads = (int) c[1];
            int n = (int) c[2];
            int size = (int) c[3];
            Parallel.setThreads(threads);
            ResNet net = ResNets.create(arch, 10, false, 5);
            Random rnd = new Random(size + threads);
            RandomStats.set(net, rnd);
            net.eval();
            Tensor x = Tensor.zeros(n, 3, size, size);
            for (int i = 0; i < x.size(); i++) {
                x.data()[i] = (float) rnd.nextGaussian();
            }
            for (int variant = 0; variant < 3; variant++) {
                boolean winograd = variant > 0;
                boolean stem = variant < 2; // the packed stem (into the layout) and the NCHW one
                PaddedWinograd.ON = winograd;
                PackedStem.ON = stem;
                FoldedInference plan = new FoldedInference(net);
                String what = arch + " threads=" + threads + " n=" + n + " " + size + " px, padded Winograd "
                        + winograd + ", packed stem " + stem;
                PackedConv.PADDED = false;
                float[] plain = plan.forward(x).data().clone();
                assertEquals("", runs(plan.lastRuns), what + ": no run when switched off");
                PackedConv.PADDED = true;
                float[] chained = plan.forward(x).data().clone();
                float[] again = plan.forward(x).data().clone(); // the buffers reused
                assertEquals(stem, plan.lastStemPacked, what + ": which stem ran");
                String want = (String) c[winograd ? 5 : 4];
                String got = runs(plan.lastRuns);
                assertTrue(java.util.Arrays.asList(want.split("\\|")).contains(got),
                        what + ": runs " + got + ", expected " + want);
                for (int j = 0; j < plain.length; j++) {
                    assertEquals(Float.floatToRawIntBits(plain[j]), Float.floatToRawIntBits(chained[j]),
                            what + " logit " + j + ": " + chained[j] + " vs " + plain[j]);
                    assertEquals(Float.floatToRawIntBits(plain[j]), Float.floatToRawIntBits(again[j]),
                            what + " again");
                }
            }
        }
    }

    /** Runs {from, to, …} as "from-to,…". */
    private static String runs(int[] r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < r.length; i += 2) {
            b.append(i > 0 ? "," : "").append(r[i]).append('-').append(r[i + 1]);
        }
        return b.toString();
    }
}

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
 * The folded forward with the last blocks kept in the padded channels-last layout against the
 * same forward converting at every convolution, bit for bit: ResNet-18 at 224 px (layer3 and
 * layer4 in the run, and with {@link PaddedWinograd} every block from layer1; with two images on
 * two workers layer3's 256 channels in Winograd's depth blocks and a run that ends inside the
 * network, converted back to NCHW; with two images at 64 px layer4's 1×1 projection in the
 * strided product's depth blocks) and at 96 and 64 px,
 * ResNet-50 (bottleneck blocks, 1×1 convolutions) at 96 px, 1 and 2 images on 2 and 3 workers,
 * the stem as {@link PackedStem} (its output taken over by a run from block 0, or converted to
 * NCHW) and as the NCHW stem; and which blocks the run takes.
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
        // arch, threads, batch, size, the run of blocks in the layout {from, to} without and with
        // PaddedWinograd (from −1: block 0 where PackedConv's tiles run in pairs, which takes
        // layer2's stride-2 convolution at batch 2, else block 3; to 6: a run that ends inside
        // the network, before layer4's F(2,3), and goes back to NCHW)
        Object[][] cases = {
            {"resnet18", 2, 1, 224, 4, 8, 0, 8}, {"resnet18", 3, 1, 96, 2, 8, 0, 8}, {"resnet18", 3, 2, 64, 2, 8, 0, 8},
            {"resnet50", 2, 1, 96, 3, 16, 3, 16}, {"resnet18", 2, 2, 64, 4, 8, 4, 8}, {"resnet18", 2, 2, 224, 8, 8, -1, 6},
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
                assertEquals(plan.blockCount(), plan.lastPaddedFrom, what + ": no chain when switched off");
                PackedConv.PADDED = true;
                float[] chained = plan.forward(x).data().clone();
                float[] again = plan.forward(x).data().clone(); // the buffers reused
                assertEquals(stem, plan.lastStemPacked, what + ": which stem ran");
                int from = (int) c[winograd ? 6 : 4];
                int to = (int) c[winograd ? 7 : 5];
                if (from < 0) {
                    assertTrue(plan.lastPaddedFrom == 0 || plan.lastPaddedFrom == 3,
                            what + ": first block of the run " + plan.lastPaddedFrom);
                } else {
                    assertEquals(from, plan.lastPaddedFrom, what + ": first block of the run");
                }
                assertEquals(to, plan.lastPaddedTo, what + ": end of the run");
                for (int j = 0; j < plain.length; j++) {
                    assertEquals(Float.floatToRawIntBits(plain[j]), Float.floatToRawIntBits(chained[j]),
                            what + " logit " + j + ": " + chained[j] + " vs " + plain[j]);
                    assertEquals(Float.floatToRawIntBits(plain[j]), Float.floatToRawIntBits(again[j]),
                            what + " again");
                }
            }
        }
    }
}

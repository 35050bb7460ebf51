package dev.resnet4j.models;

import dev.resnet4j.kernels.Convolution;
import dev.resnet4j.kernels.Winograd;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.resnet4j.Assertions2.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * One folded plan serving batches of different sizes, so that its 3×3 convolutions change
 * method between calls (F(2,3) at batch 1, F(4,3) at batch 4 on a 56×56 input's 14×14 layer1):
 * each batch equals the plain modules' eval forward, and a batch seen again gives the same bits.
 */
class FoldedBatchSizesTest {
    @Test
    void batchSizesThatChangeTheWinogradTile() throws InterruptedException {
        Convolution.Shape layer1One = new Convolution.Shape(1, 64, 14, 14, 64, 3, 3, 1, 1);
        Convolution.Shape layer1Four = new Convolution.Shape(4, 64, 14, 14, 64, 3, 3, 1, 1);
        if (Winograd.TILE == 4) {
            // the premise of this test: the tile changes with the batch
            assertNotEquals(Winograd.tileFor(layer1One), Winograd.tileFor(layer1Four));
        }
        ResNet model = ResNets.create("resnet18", 10, false, 3);
        Random rnd = new Random(12);
        RandomStats.set(model, rnd);
        model.eval();
        Tensor four = Tensor.zeros(4, 3, 56, 56);
        for (int i = 0; i < four.size(); i++) {
            four.data()[i] = (float) rnd.nextGaussian();
        }
        Tensor one = Tensor.zeros(1, 3, 56, 56);
        System.arraycopy(four.data(), 0, one.data(), 0, one.size());

        model.setFoldedInference(false);
        float[] wantOne = model.forward(one).data().clone();
        float[] wantFour = model.forward(four).data().clone();
        model.setFoldedInference(true);
        // the plan's paths (and so its rounding) change once the vector kernels are compiled:
        // the forwards compared bit for bit below must fall on the same side of that switch
        org.junit.jupiter.api.Assertions.assertTrue(dev.resnet4j.kernels.Gemm.awaitVectorKernel(120_000),
                "vector kernel never became ready");
        float[] gotOne = model.forward(one).data().clone();
        float[] gotFour = model.forward(four).data().clone();
        float[] again = model.forward(one).data().clone();
        assertClose(gotOne, wantOne, 1e-4, "batch 1 through the folded plan");
        assertClose(gotFour, wantFour, 1e-4, "batch 4 through the folded plan");
        assertEquals(wantOne.length * 4, wantFour.length);
        assertArrayEquals(gotOne, again, "batch 1 again, after batch 4");
    }
}

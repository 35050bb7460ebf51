package dev.resnet4j.nn;

import dev.resnet4j.Fixture;
import dev.resnet4j.kernels.Conv2dKernels;
import dev.resnet4j.kernels.Pooling;
import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MaxPool2d's and Conv2d's output sizes equal PyTorch's on small inputs, and both refuse the
 * inputs PyTorch refuses ({@code tools/gen_shape_fixtures.py}): PyTorch's size is
 * ⌊(size + 2·padding − kernel) / stride⌋ + 1, rounded toward −∞, so MaxPool2d(3, 2) on a 2×2
 * input has no output there (Java's integer division, which rounds toward zero, gave 1).
 */
class OutputSizeParityTest {
    private static final List<String[]> CASES = Fixture.load("parity/output_sizes.txt").all("maxpool");
    private static final List<String[]> CONVS = Fixture.load("parity/output_sizes.txt").all("conv");

    @Test
    void maxPoolMatchesPyTorch() {
        int refused = 0;
        for (String[] c : CASES) {
            int size = Integer.parseInt(c[0]);
            int kernel = Integer.parseInt(c[1]);
            int stride = Integer.parseInt(c[2]);
            int pad = Integer.parseInt(c[3]);
            String what = "MaxPool2d(" + kernel + ", " + stride + ", " + pad + ") on " + size + "x" + size;
            MaxPool2d pool = new MaxPool2d(kernel, stride, pad);
            pool.eval();
            Tensor x = Tensor.zeros(1, 1, size, size);
            if (c[4].equals("error")) {
                refused++;
                assertThrows(IllegalArgumentException.class, () -> pool.forward(x), what);
                assertTrue(Pooling.outSize(size, kernel, stride, pad) <= 0, what);
                continue;
            }
            int out = Integer.parseInt(c[4]);
            assertArrayEquals(new int[]{1, 1, out, out}, assertDoesNotThrow(() -> pool.forward(x), what).shape(), what);
            assertArrayEquals(new int[]{1, 1, out, out}, pool.outputShape(new int[]{1, 1, size, size}), what);
            assertEquals(out, Pooling.outSize(size, kernel, stride, pad), what);
        }
        assertTrue(refused > 0, "the fixture has refused cases");
    }

    @Test
    void convMatchesPyTorch() {
        int refused = 0;
        for (String[] c : CONVS) {
            int size = Integer.parseInt(c[0]);
            int kernel = Integer.parseInt(c[1]);
            int stride = Integer.parseInt(c[2]);
            int pad = Integer.parseInt(c[3]);
            String what = "Conv2d(k=" + kernel + ", s=" + stride + ", p=" + pad + ") on " + size + "x" + size;
            Conv2d conv = new Conv2d(1, 1, kernel, stride, pad, false);
            conv.eval();
            Tensor x = Tensor.zeros(1, 1, size, size);
            if (c[4].equals("error")) {
                refused++;
                assertThrows(IllegalArgumentException.class, () -> conv.forward(x), what);
                continue;
            }
            int out = Integer.parseInt(c[4]);
            assertArrayEquals(new int[]{1, 1, out, out}, assertDoesNotThrow(() -> conv.forward(x), what).shape(), what);
            assertEquals(out, Conv2dKernels.outSize(size, kernel, stride, pad), what);
        }
        assertTrue(refused > 0, "the fixture has refused cases");
    }
}

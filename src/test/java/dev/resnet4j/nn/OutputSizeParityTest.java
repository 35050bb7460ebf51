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
    /** One fixture line: PyTorch's output size on a size×size input, or -1 where it refuses. */
    private record Case(int size, int kernel, int stride, int pad, int out) {
        static List<Case> load(String module) {
            return Fixture.load("parity/output_sizes.txt").all(module).stream()
                    .map(c -> new Case(Integer.parseInt(c[0]), Integer.parseInt(c[1]), Integer.parseInt(c[2]),
                            Integer.parseInt(c[3]), c[4].equals("error") ? -1 : Integer.parseInt(c[4])))
                    .toList();
        }
    }

    @Test
    void maxPoolMatchesPyTorch() {
        int refused = 0;
        for (Case c : Case.load("maxpool")) {
            String what = "MaxPool2d(" + c.kernel() + ", " + c.stride() + ", " + c.pad() + ") on " + c.size() + "x"
                    + c.size();
            MaxPool2d pool = new MaxPool2d(c.kernel(), c.stride(), c.pad());
            pool.eval();
            Tensor x = Tensor.zeros(1, 1, c.size(), c.size());
            if (c.out() < 0) {
                refused++;
                assertThrows(IllegalArgumentException.class, () -> pool.forward(x), what);
                assertTrue(Pooling.outSize(c.size(), c.kernel(), c.stride(), c.pad()) <= 0, what);
                continue;
            }
            int[] want = {1, 1, c.out(), c.out()};
            assertArrayEquals(want, assertDoesNotThrow(() -> pool.forward(x), what).shape(), what);
            assertArrayEquals(want, pool.outputShape(new int[]{1, 1, c.size(), c.size()}), what);
            assertEquals(c.out(), Pooling.outSize(c.size(), c.kernel(), c.stride(), c.pad()), what);
        }
        assertTrue(refused > 0, "the fixture has refused cases");
    }

    @Test
    void convMatchesPyTorch() {
        int refused = 0;
        for (Case c : Case.load("conv")) {
            String what = "Conv2d(k=" + c.kernel() + ", s=" + c.stride() + ", p=" + c.pad() + ") on " + c.size() + "x"
                    + c.size();
            Conv2d conv = new Conv2d(1, 1, c.kernel(), c.stride(), c.pad(), false);
            conv.eval();
            Tensor x = Tensor.zeros(1, 1, c.size(), c.size());
            if (c.out() < 0) {
                refused++;
                assertThrows(IllegalArgumentException.class, () -> conv.forward(x), what);
                continue;
            }
            assertArrayEquals(new int[]{1, 1, c.out(), c.out()}, assertDoesNotThrow(() -> conv.forward(x), what).shape(),
                    what);
            assertEquals(c.out(), Conv2dKernels.outSize(c.size(), c.kernel(), c.stride(), c.pad()), what);
        }
        assertTrue(refused > 0, "the fixture has refused cases");
    }
}

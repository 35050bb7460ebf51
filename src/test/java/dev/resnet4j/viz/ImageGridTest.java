package dev.resnet4j.viz;

import dev.resnet4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageGridTest {
    static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    /** A batch [n, 1, 28, 28] of white-on-black digits drawn with Java2D, digit i % 10 at index i. */
    static Tensor digits(int n) {
        Tensor t = Tensor.zeros(n, 1, 28, 28);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 24));
            g.drawString(Integer.toString(i % 10), 7, 23);
            g.dispose();
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    t.data()[i * 784 + y * 28 + x] = (img.getRGB(x, y) & 0xff) / 255f;
                }
            }
        }
        return t;
    }

    @Test
    void correctIsGreenAndMistakesRed() {
        List<BufferedImage> two = List.of(Images.fromTensor(digits(2), 0), Images.fromTensor(digits(2), 1));
        // One column: the correct image on top, the mistake below; the header (28 px) shows both colours.
        BufferedImage grid = ImageGrid.render(two, new int[]{0, 7}, new int[]{0, 1}, DIGITS, 1);
        int top = 28;
        int mid = top + (grid.getHeight() - top - 8) / 2; // 8 px bottom padding
        int w = grid.getWidth();
        assertTrue(has(grid, ImageGrid.CORRECT, 0, w, top, mid), "correct image framed green");
        assertFalse(has(grid, ImageGrid.WRONG, 0, w, top, mid), "no red around the correct image");
        assertTrue(has(grid, ImageGrid.WRONG, 0, w, mid, grid.getHeight()), "mistake framed red");
        assertFalse(has(grid, ImageGrid.CORRECT, 0, w, mid, grid.getHeight()), "no green around the mistake");
    }

    @Test
    void upscalesSmallImagesToAtLeast84Pixels() {
        BufferedImage grid = ImageGrid.render(List.of(Images.fromTensor(digits(1), 0)), new int[]{0}, new int[]{0}, DIGITS, 8);
        // 28 px upscaled ×3 = 84 px, plus frame, caption and padding.
        assertTrue(grid.getHeight() >= 84 + 2 * 12, "height " + grid.getHeight());
    }

    @Test
    void writesTensorBatchAndFloatRows() throws Exception {
        Tensor batch = digits(20);
        int[] truth = new int[20];
        int[] pred = new int[20];
        for (int i = 0; i < 20; i++) {
            truth[i] = i % 10;
            pred[i] = i % 7 == 3 ? (i + 1) % 10 : i % 10;
        }
        Path png = ChartsTest.OUT.resolve("grid.png");
        ImageGrid.write(batch, pred, truth, DIGITS, png);
        BufferedImage read = ImageIO.read(png.toFile());
        assertTrue(read.getWidth() >= 8 * 90, "8 columns of 84 px images");

        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            float[] r = new float[784];
            System.arraycopy(batch.data(), i * 784, r, 0, 784);
            rows.add(r);
        }
        Path png2 = ChartsTest.OUT.resolve("grid-rows.png");
        ImageGrid.write(rows.toArray(new float[0][]), 1, 28, 28, new int[]{0, 1, 2}, null, DIGITS, png2);
        assertEquals(read.getHeight() / 3 * 1, ImageIO.read(png2.toFile()).getHeight(), 40);
    }

    @Test
    void squareRowsAreRecognisedAsGrayOrRgb() throws Exception {
        Path gray = ChartsTest.OUT.resolve("grid-gray-rows.png");
        ImageGrid.write(new float[][]{new float[784], new float[784]}, new int[]{1, 2}, new int[]{1, 1}, DIGITS, gray);
        Path rgb = ChartsTest.OUT.resolve("grid-rgb-rows.png");
        ImageGrid.write(new float[][]{new float[3 * 32 * 32]}, new int[]{0}, new int[]{0}, DIGITS, rgb);
        // 28 → 84 px (×3) and 32 → 96 px (×3): the RGB grid is taller.
        assertTrue(ImageIO.read(rgb.toFile()).getHeight() > ImageIO.read(gray.toFile()).getHeight());
        var e = assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.write(new float[][]{new float[100 * 3 + 1]}, new int[]{0}, new int[]{0}, DIGITS, gray));
        assertTrue(e.getMessage().contains("explicitly"));
    }

    @Test
    void longClassNamesWidenTheCells() throws Exception {
        Tensor rgb = Tensor.full(0.5f, 2, 3, 32, 32);
        List<String> cifar = List.of("airplane", "automobile", "bird");
        BufferedImage grid = ImageGrid.render(List.of(Images.fromTensor(rgb, 0), Images.fromTensor(rgb, 1)),
                new int[]{1, 2}, new int[]{1, 0}, cifar, 8);
        ImageIO.write(grid, "png", ChartsTest.OUT.resolve("grid-cifar.png").toFile());
        assertTrue(grid.getWidth() > 2 * 96);
    }

    @Test
    void mismatchedLengthsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.write(digits(2), new int[]{1}, new int[]{1, 2}, DIGITS, ChartsTest.OUT.resolve("x.png")));
    }

    static boolean has(BufferedImage img, Color c, int x0, int x1, int y0, int y1) {
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) {
                    return true;
                }
            }
        }
        return false;
    }
}

package dev.resnet4j.viz;

import dev.resnet4j.tensor.Tensor;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A grid of images with "predicted / true" captions: correct predictions framed and captioned
 * in green, mistakes in red. Images are upscaled by an integer factor with nearest-neighbour
 * sampling so small inputs (28×28 digits) stay crisp rather than blurred.
 */
public final class ImageGrid {
    static final Color CORRECT = new Color(0x1a9641);
    static final Color WRONG = new Color(0xd7191c);
    private static final int TARGET_SIZE = 84; // upscale until the shorter side reaches this
    private static final int PAD = 8;
    private static final int FRAME = 3;
    private static final Font CAPTION = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    private static final Font HEADER = new Font(Font.SANS_SERIF, Font.BOLD, 13);

    private ImageGrid() {
    }

    /**
     * Writes a grid of the batch [N, C, H, W] (values in [0, 1], C = 1 or 3) with at most 8
     * images per row.
     *
     * @param predicted predicted class index per image
     * @param truth     true class index per image, or null when unknown (captions show only the prediction)
     */
    public static void write(Tensor batch, int[] predicted, int[] truth, List<String> classNames, Path png) throws IOException {
        if (batch.rank() != 4) {
            throw new IllegalArgumentException("expected a batch [N, C, H, W], got " + batch.shapeString());
        }
        List<BufferedImage> images = new ArrayList<>();
        for (int i = 0; i < batch.dim(0); i++) {
            images.add(Images.fromTensor(batch, i));
        }
        Images.writePng(render(images, predicted, truth, classNames, 8), png);
    }

    /**
     * As {@link #write(Tensor, int[], int[], List, Path)} for square images given one per row:
     * s² floats is an s×s grayscale image, 3·s² an s×s RGB one (channel-major); the two cannot
     * be confused because 3·s² is never a perfect square.
     */
    public static void write(float[][] images, int[] predicted, int[] truth, List<String> classNames, Path png) throws IOException {
        if (images.length == 0) {
            throw new IllegalArgumentException("no images to draw");
        }
        int n = images[0].length;
        int gray = (int) Math.round(Math.sqrt(n));
        int rgb = (int) Math.round(Math.sqrt(n / 3.0));
        if (gray * gray == n) {
            write(images, 1, gray, gray, predicted, truth, classNames, png);
        } else if (3 * rgb * rgb == n) {
            write(images, 3, rgb, rgb, predicted, truth, classNames, png);
        } else {
            throw new IllegalArgumentException(n + " values per image is neither s² (grayscale) nor 3·s² (RGB); "
                    + "pass channels, height and width explicitly");
        }
    }

    /**
     * As {@link #write(Tensor, int[], int[], List, Path)} for images given one per row, each
     * C×H×W floats in channel-major order (a 28×28 digit is 784 floats with channels 1).
     */
    public static void write(float[][] images, int channels, int height, int width, int[] predicted, int[] truth,
                             List<String> classNames, Path png) throws IOException {
        List<BufferedImage> list = new ArrayList<>();
        for (float[] image : images) {
            if (image.length != channels * height * width) {
                throw new IllegalArgumentException("an image has " + image.length + " values, expected " + channels
                        + "×" + height + "×" + width + " = " + channels * height * width);
            }
            list.add(Images.fromPixels(image, 0, channels, height, width));
        }
        Images.writePng(render(list, predicted, truth, classNames, 8), png);
    }

    /** The grid as an image, {@code columns} images per row. */
    public static BufferedImage render(List<BufferedImage> images, int[] predicted, int[] truth, List<String> classNames,
                                       int columns) {
        int n = images.size();
        if (n == 0) {
            throw new IllegalArgumentException("no images to draw");
        }
        if (predicted.length != n || (truth != null && truth.length != n)) {
            throw new IllegalArgumentException(n + " images but " + predicted.length + " predictions"
                    + (truth == null ? "" : " and " + truth.length + " labels"));
        }
        int h = images.get(0).getHeight();
        int w = images.get(0).getWidth();
        int scale = Math.max(1, (int) Math.ceil((double) TARGET_SIZE / Math.min(h, w)));
        int imgW = w * scale;
        int imgH = h * scale;

        // Measure captions first so the cell is wide enough for the longest class names.
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        FontMetrics fm = pg.getFontMetrics(CAPTION);
        List<String[]> captions = new ArrayList<>();
        int captionW = 0;
        for (int i = 0; i < n; i++) {
            String[] lines = truth == null
                    ? new String[]{"pred: " + name(classNames, predicted[i])}
                    : new String[]{"pred: " + name(classNames, predicted[i]), "true: " + name(classNames, truth[i])};
            for (String line : lines) {
                captionW = Math.max(captionW, fm.stringWidth(line));
            }
            captions.add(lines);
        }
        int lineH = fm.getHeight();
        pg.dispose();

        int cols = Math.min(columns, n);
        int rows = (n + cols - 1) / cols;
        int cellW = Math.max(imgW + 2 * FRAME, captionW) + PAD;
        int captionH = (truth == null ? 1 : 2) * lineH + 4;
        int cellH = imgH + 2 * FRAME + captionH + PAD;
        int headerH = 28;
        int width = Math.max(cols * cellW + PAD, 460);
        int height = headerH + rows * cellH + PAD;

        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        drawHeader(g, images.size(), predicted, truth, headerH);

        g.setFont(CAPTION);
        for (int i = 0; i < n; i++) {
            int cx = PAD + (i % cols) * cellW;
            int cy = headerH + (i / cols) * cellH;
            int ix = cx + (cellW - PAD - imgW) / 2;
            Color c = truth == null ? Color.DARK_GRAY : predicted[i] == truth[i] ? CORRECT : WRONG;
            g.setColor(c);
            // The frame is a filled rectangle the image is drawn over, FRAME px wider on each side.
            g.fillRect(ix - FRAME, cy, imgW + 2 * FRAME, imgH + 2 * FRAME);
            g.drawImage(images.get(i), ix, cy + FRAME, imgW, imgH, null);
            String[] lines = captions.get(i);
            for (int l = 0; l < lines.length; l++) {
                int tw = g.getFontMetrics().stringWidth(lines[l]);
                g.drawString(lines[l], cx + (cellW - PAD - tw) / 2, cy + imgH + 2 * FRAME + (l + 1) * lineH);
            }
        }
        g.dispose();
        return out;
    }

    private static void drawHeader(Graphics2D g, int n, int[] predicted, int[] truth, int headerH) {
        g.setFont(HEADER);
        int x = PAD;
        int y = headerH - 10;
        if (truth == null) {
            g.setColor(Color.DARK_GRAY);
            g.drawString(n + " images, predicted class under each", x, y);
            return;
        }
        int correct = 0;
        for (int i = 0; i < n; i++) {
            correct += predicted[i] == truth[i] ? 1 : 0;
        }
        FontMetrics fm = g.getFontMetrics();
        String[] parts = {correct + "/" + n + " correct", "  green = correct", ", ", "red = mistake"};
        Color[] colours = {Color.DARK_GRAY, CORRECT, Color.DARK_GRAY, WRONG};
        for (int i = 0; i < parts.length; i++) {
            g.setColor(colours[i]);
            g.drawString(parts[i], x, y);
            x += fm.stringWidth(parts[i]);
        }
    }

    private static String name(List<String> classNames, int index) {
        if (classNames != null && index >= 0 && index < classNames.size()) {
            return classNames.get(index);
        }
        return Integer.toString(index);
    }
}

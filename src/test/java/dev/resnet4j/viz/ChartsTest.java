package dev.resnet4j.viz;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The charts are written as readable PNGs plus well-formed SVGs; samples stay in target/viz-test. */
class ChartsTest {
    static final Path OUT = Path.of("target", "viz-test");

    static List<EpochMetrics> fakeRun(int n, boolean withTest) {
        List<EpochMetrics> epochs = new ArrayList<>();
        for (int e = 1; e <= n; e++) {
            double train = 2.3 * Math.exp(-0.45 * e) + 0.05;
            double acc = 1 - 0.9 * Math.exp(-0.6 * e);
            epochs.add(withTest
                    ? new EpochMetrics(e, train, acc, train * 1.2 + 0.03, acc * 0.97)
                    : EpochMetrics.trainOnly(e, train, acc));
        }
        return epochs;
    }

    @Test
    void trainingCurvesWritePngAndSvg() throws Exception {
        List<Path> files = Charts.trainingCurves(fakeRun(10, true), OUT.resolve("curves.png"));
        assertEquals(2, files.size());
        BufferedImage png = ImageIO.read(files.get(0).toFile());
        assertEquals(1280, png.getWidth(), "two panels side by side");
        assertEquals(440, png.getHeight());
        assertTrue(files.get(1).toString().endsWith("curves.svg"));
        var doc = Xml.parse(files.get(1));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        // The train series is blue and the test series red in both panels.
        assertTrue(hasColour(png, 0x1f77b4, 0, 640), "train curve in the loss panel");
        assertTrue(hasColour(png, 0xd62728, 640, 1280), "test curve in the accuracy panel");
    }

    @Test
    void missingTestSplitDrawsOnlyTrain() throws Exception {
        List<Path> files = Charts.trainingCurves(fakeRun(3, false), OUT.resolve("curves-train-only.png"));
        BufferedImage png = ImageIO.read(files.get(0).toFile());
        assertTrue(hasColour(png, 0x1f77b4, 0, 1280));
        assertTrue(!hasColour(png, 0xd62728, 0, 1280), "no test series when the test values are NaN");
    }

    @Test
    void percentagesAreRejectedWithAHint() {
        var e = assertThrows(IllegalArgumentException.class, () -> new EpochMetrics(1, 0.5, 93.0, Double.NaN, Double.NaN));
        assertTrue(e.getMessage().contains("divide percentages by 100"));
    }

    @Test
    void confusionMatrixShowsEveryCount() throws Exception {
        int[][] counts = {
                {50, 2, 0},
                {3, 41, 6},
                {0, 9, 39}};
        List<Path> files = Charts.confusionMatrix(counts, List.of("cat", "dog", "automobile"), OUT.resolve("confusion.png"));
        BufferedImage png = ImageIO.read(files.get(0).toFile());
        assertTrue(png.getWidth() > 200 && png.getHeight() > 200);
        // XChart draws glyphs as outlines, so the SVG holds paths, not <text>; check it parses and is drawn on.
        assertEquals("svg", Xml.parse(files.get(1)).getDocumentElement().getTagName());
        assertTrue(Files.readString(files.get(1)).contains("<path"));
        // The ramp's dark end (largest count) is present, the white end (zeros) too.
        assertTrue(hasColour(png, 0x3182bd, 0, png.getWidth()), "darkest cell colour for the maximum count");
    }

    @Test
    void tenClassConfusionMatrixAndSingleEpoch() throws Exception {
        List<String> cifar = List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
        int[][] counts = new int[10][10];
        java.util.Random rnd = new java.util.Random(0);
        for (int t = 0; t < 10; t++) {
            for (int p = 0; p < 10; p++) {
                counts[t][p] = t == p ? 700 + rnd.nextInt(250) : rnd.nextInt(40);
            }
        }
        List<Path> files = Charts.confusionMatrix(counts, cifar, OUT.resolve("confusion-cifar.png"));
        assertTrue(ImageIO.read(files.get(0).toFile()).getWidth() >= 10 * 44);
        Charts.trainingCurves(List.of(new EpochMetrics(1, 0.7, 0.8, 0.75, 0.78)), OUT.resolve("curves-one-epoch.png"));
    }

    @Test
    void confusionMatrixRejectsRaggedCounts() {
        assertThrows(IllegalArgumentException.class,
                () -> Charts.confusionMatrix(new int[][]{{1, 2}, {3}}, List.of("a", "b"), OUT.resolve("bad.png")));
    }

    static boolean hasColour(BufferedImage img, int rgb, int x0, int x1) {
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = x0; x < x1; x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }
}

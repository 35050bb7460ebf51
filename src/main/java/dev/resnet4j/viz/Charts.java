package dev.resnet4j.viz;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import dev.resnet4j.io.AtomicFiles;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Training curves and confusion matrices drawn with XChart.
 *
 * <p>Every method writes the PNG it is given and an SVG beside it (same name, {@code .svg}),
 * and returns both paths. The SVG comes from VectorGraphics2D, which XChart already depends
 * on for its own vector export, so no dependency is added; it lets us put two XChart panels
 * on one SVG page, which XChart's {@code VectorGraphicsEncoder} (one chart per file) cannot.
 */
public final class Charts {
    private static final int PANEL_W = 640;
    private static final int PANEL_H = 440;
    private static final Color TRAIN = new Color(0x1f77b4);
    private static final Color TEST = new Color(0xd62728);

    private Charts() {
    }

    /**
     * Loss per epoch (left panel) and accuracy per epoch (right panel), train and test.
     * The test series is drawn only where its values are not NaN.
     */
    public static List<Path> trainingCurves(List<EpochMetrics> epochs, Path png) throws IOException {
        if (epochs.isEmpty()) {
            throw new IllegalArgumentException("no epochs to plot");
        }
        XYChart loss = curve("Loss per epoch", "loss", epochs, EpochMetrics::trainLoss, EpochMetrics::testLoss, 1.0);
        XYChart acc = curve("Accuracy per epoch", "accuracy (%)", epochs, EpochMetrics::trainAccuracy,
                EpochMetrics::testAccuracy, 100.0);
        acc.getStyler().setYAxisMin(0.0).setYAxisMax(100.0);
        // Accuracy rises towards the top right, where the default legend would cover it.
        acc.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        return writePanels(List.of(loss, acc), PANEL_W, PANEL_H, png);
    }

    private static XYChart curve(String title, String yTitle, List<EpochMetrics> epochs,
                                 ToDoubleFunction<EpochMetrics> train, ToDoubleFunction<EpochMetrics> test, double scale) {
        XYChart chart = new XYChartBuilder().width(PANEL_W).height(PANEL_H).title(title)
                .xAxisTitle("epoch").yAxisTitle(yTitle).build();
        var s = chart.getStyler();
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotGridLinesColor(new Color(0xdddddd));
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        chart.getStyler().setXAxisDecimalPattern("#");
        addSeries(chart, "train", epochs, train, scale, TRAIN);
        addSeries(chart, "test", epochs, test, scale, TEST);
        return chart;
    }

    private static void addSeries(XYChart chart, String name, List<EpochMetrics> epochs,
                                  ToDoubleFunction<EpochMetrics> value, double scale, Color color) {
        // XChart draws NaN as a gap at best and breaks axis scaling at worst: leave such points out.
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (EpochMetrics e : epochs) {
            double v = value.applyAsDouble(e);
            if (!Double.isNaN(v)) {
                xs.add((double) e.epoch());
                ys.add(v * scale);
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        XYSeries s = chart.addSeries(name, xs, ys);
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    /**
     * A heat map of {@code counts[true][predicted]} with the count written in every cell, true
     * classes as rows (first class at the top), predicted classes as columns.
     */
    public static List<Path> confusionMatrix(int[][] counts, List<String> classNames, Path png) throws IOException {
        int k = classNames.size();
        if (counts.length != k) {
            throw new IllegalArgumentException("counts has " + counts.length + " rows but there are " + k + " class names");
        }
        int max = 0;
        for (int[] row : counts) {
            if (row.length != k) {
                throw new IllegalArgumentException("counts must be " + k + "×" + k + ", found a row of length " + row.length);
            }
            for (int c : row) {
                max = Math.max(max, c);
            }
        }
        // Cells get at least 44 px so three-digit counts and the labels stay legible.
        int cell = Math.max(44, Math.min(70, 560 / Math.max(1, k)));
        int labelRoom = 60 + 7 * longest(classNames);
        int width = labelRoom + k * cell + 160;
        int height = labelRoom + k * cell + 80;
        HeatMapChart chart = new HeatMapChartBuilder().width(width).height(height).title("Confusion matrix")
                .xAxisTitle("predicted").yAxisTitle("true").build();
        var s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setShowValue(true);
        s.setHeatMapValueDecimalPattern("#");
        s.setValueFont(new Font(Font.SANS_SERIF, Font.BOLD, cell >= 56 ? 14 : 12));
        s.setValueFontColor(Color.BLACK);
        s.setDrawBorder(true);
        s.setMin(0).setMax(Math.max(1, max));
        // A white-to-blue ramp: black counts stay readable on every cell, unlike XChart's default.
        s.setRangeColors(new Color[]{Color.WHITE, new Color(0x9ecae1), new Color(0x3182bd)});
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        s.setXAxisLabelRotation(k > 6 ? 45 : 0);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        // XChart's heat map puts y index 0 at the bottom; feed the rows reversed so class 0 is on top.
        List<String> ys = new ArrayList<>(classNames);
        Collections.reverse(ys);
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                cells.add(new Number[]{p, k - 1 - t, counts[t][p]});
            }
        }
        chart.addSeries("count", classNames, ys, cells);
        return writePanels(List.of(chart), width, height, png);
    }

    private static int longest(List<String> names) {
        return names.stream().mapToInt(String::length).max().orElse(1);
    }

    /** Paints the charts left to right onto one PNG and one SVG page. */
    private static List<Path> writePanels(List<? extends Chart<?, ?>> charts, int w, int h, Path png) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        int total = w * charts.size();
        BufferedImage image = new BufferedImage(total, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        paintAll(charts, w, h, g);
        g.dispose();
        Images.writePng(image, png);

        VectorGraphics2D vg = new VectorGraphics2D();
        paintAll(charts, w, h, vg);
        Path svg = Images.sibling(png, ".svg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SVGProcessor().getDocument(vg.getCommands(), new PageSize(0, 0, total, h)).writeTo(out);
        AtomicFiles.write(svg, out.toByteArray());
        return List.of(png, svg);
    }

    private static void paintAll(List<? extends Chart<?, ?>> charts, int w, int h, Graphics2D g) {
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D panel = (Graphics2D) g.create(i * w, 0, w, h);
            charts.get(i).paint(panel, w, h);
            panel.dispose();
        }
    }
}

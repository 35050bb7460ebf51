package dev.resnet4j.viz;

import dev.resnet4j.models.ResNet;
import dev.resnet4j.models.ResNets;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureDiagramTest {

    static List<String> texts(Document doc, String cssClass) {
        List<String> out = new ArrayList<>();
        NodeList nodes = doc.getElementsByTagName("text");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (cssClass.equals(e.getAttribute("class"))) {
                out.add(e.getTextContent());
            }
        }
        return out;
    }

    @Test
    void resnet18At224ShowsTheSeedsShapeProgression() throws Exception {
        ResNet model = ResNets.resnet18(10, false);
        List<Path> files = ArchitectureDiagram.write(model, new int[]{1, 3, 224, 224}, ChartsTest.OUT.resolve("resnet18.png"));
        assertEquals(2, files.size());
        Document doc = Xml.parse(files.get(1));
        assertEquals("svg", doc.getDocumentElement().getTagName());

        // Edge shapes in order, top to bottom, as in the seed's "Tensor shape progression".
        List<String> edges = texts(doc, "shape");
        List<String> expected = List.of(
                "[1, 3, 224, 224]",
                "[1, 64, 112, 112]", "[1, 64, 112, 112]", "[1, 64, 112, 112]", // conv1, bn1, relu
                "[1, 64, 56, 56]", "[1, 64, 56, 56]",                          // maxpool, layer1.0
                "[1, 64, 56, 56]", "[1, 128, 28, 28]",                         // layer1.1, layer2.0
                "[1, 128, 28, 28]", "[1, 256, 14, 14]",                        // layer2.1, layer3.0
                "[1, 256, 14, 14]", "[1, 512, 7, 7]",                          // layer3.1, layer4.0
                "[1, 512, 7, 7]",                                              // layer4.1 → avgpool
                "[1, 512, 1, 1]", "[1, 512]", "[1, 10]");                      // avgpool, flatten, fc
        assertEquals(expected, edges);

        // One shortcut label per block: projections where the stage changes shape, identity elsewhere.
        List<String> shortcuts = texts(doc, "shortcut");
        assertEquals(8, shortcuts.size());
        assertEquals(List.of("identity", "identity", "1×1 conv, stride 2 + BN", "identity",
                "1×1 conv, stride 2 + BN", "identity", "1×1 conv, stride 2 + BN", "identity"), shortcuts);
        assertEquals(8, texts(doc, "block").size());

        BufferedImage png = ImageIO.read(files.get(0).toFile());
        assertTrue(png.getWidth() > 600 && png.getHeight() > 1000, png.getWidth() + "x" + png.getHeight());
    }

    @Test
    void bottleneckAndOddInputSizes() throws Exception {
        ResNet model = ResNets.resnet50(5, true);
        Path svg = ChartsTest.OUT.resolve("resnet50-gray-97.svg");
        assertEquals(List.of(svg), ArchitectureDiagram.write(model, new int[]{2, 1, 97, 131}, svg));
        Document doc = Xml.parse(svg);
        List<String> edges = texts(doc, "shape");
        assertEquals("[2, 1, 97, 131]", edges.get(0));
        assertEquals("[2, 64, 49, 66]", edges.get(1));    // conv1 7×7/2 pad 3
        assertEquals("[2, 2048, 4, 5]", edges.get(edges.size() - 4)); // into avgpool
        assertEquals("[2, 2048]", edges.get(edges.size() - 2));
        assertEquals("[2, 5]", edges.get(edges.size() - 1));
        List<String> shortcuts = texts(doc, "shortcut");
        assertEquals(16, shortcuts.size());
        // layer1.0 projects 64 → 256 channels without a stride.
        assertEquals("1×1 conv, stride 1 + BN", shortcuts.get(0));
        assertEquals(4, shortcuts.stream().filter(s -> s.startsWith("1×1")).count());
        assertTrue(texts(doc, "conv").contains("conv3  1×1, 2048 → bn3"));
    }

    @Test
    void resnet152IsTallButWhole() throws Exception {
        ResNet model = ResNets.resnet152(1000, false);
        List<Path> files = ArchitectureDiagram.write(model, new int[]{1, 3, 224, 224}, ChartsTest.OUT.resolve("resnet152.png"));
        Document doc = Xml.parse(files.get(1));
        assertEquals(50, texts(doc, "shortcut").size());
        int height = Integer.parseInt(doc.getDocumentElement().getAttribute("height"));
        assertEquals(height, ImageIO.read(files.get(0).toFile()).getHeight());
    }

    @Test
    void rejectsWrongChannelsWrongRankAndUnknownExtensions() {
        ResNet model = ResNets.resnet18(10, false);
        assertThrows(IllegalArgumentException.class, () -> ArchitectureDiagram.svg(model, new int[]{1, 1, 224, 224}));
        assertThrows(IllegalArgumentException.class, () -> ArchitectureDiagram.svg(model, new int[]{1, 3, 224}));
        assertThrows(IllegalArgumentException.class,
                () -> ArchitectureDiagram.write(model, new int[]{1, 3, 224, 224}, ChartsTest.OUT.resolve("x.pdf")));
    }
}

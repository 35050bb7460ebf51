package dev.resnet4j.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFolderDatasetTest {
    @TempDir
    Path root;

    /** A w×h PNG filled with one RGB colour. */
    static void png(Path file, int w, int h, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void classesAreSortedSubFoldersAndImagesAreResized() throws IOException {
        // created out of order on purpose; "cat" before "dog" before "zebra" after sorting
        png(root.resolve("zebra/b.png"), 10, 6, 0x0000ff);
        png(root.resolve("dog/x.png"), 5, 5, 0x00ff00);
        png(root.resolve("cat/2.png"), 8, 12, 0xff0000);
        png(root.resolve("cat/sub/1.png"), 8, 12, 0x808080);
        Files.writeString(root.resolve("cat/readme.txt"), "not an image");
        ImageFolderDataset d = ImageFolderDataset.load(root, 3, 4, 4);
        assertEquals(List.of("cat", "dog", "zebra"), d.classNames());
        assertEquals(4, d.size());
        assertEquals(List.of(0, 0, 1, 2), List.of(d.label(0), d.label(1), d.label(2), d.label(3)));
        assertEquals(root.resolve("cat/2.png"), d.files().get(0));
        assertEquals(root.resolve("cat/sub/1.png"), d.files().get(1));
        float[] img = new float[3 * 4 * 4];
        d.get(0, img, 0);
        // solid red: a solid colour stays solid through resizing
        for (int i = 0; i < 16; i++) {
            assertEquals(1f, img[i]);
            assertEquals(0f, img[16 + i]);
            assertEquals(0f, img[32 + i]);
        }
        ImageFolderDataset gray = ImageFolderDataset.load(root, 1, 3, 3);
        assertEquals(1, gray.channels());
        gray.get(2, img, 0);
        // green through PIL's luma: (255 * 38470 + 0x8000) >> 16
        assertEquals(((255 * 38470 + 0x8000) >> 16) / 255f, img[0]);
    }

    @Test
    void emptyClassFolderIsRefused() throws IOException {
        png(root.resolve("a/1.png"), 2, 2, 0);
        Files.createDirectories(root.resolve("b"));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageFolderDataset.load(root, 3, 2, 2));
        assertTrue(e.getMessage().contains(root.resolve("b").toString()), e.getMessage());
    }

    @Test
    void corruptImageIsReportedByName() throws IOException {
        png(root.resolve("a/1.png"), 2, 2, 0);
        Files.writeString(root.resolve("a/2.png"), "garbage");
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageFolderDataset.load(root, 3, 2, 2));
        assertTrue(e.getMessage().contains("2.png"), e.getMessage());
    }
}

package dev.resnet4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The zip container of PyTorch's {@code torch.save}, read from memory and written with the
 * 64-byte data alignment PyTorch uses.
 *
 * <p>Why not {@link java.util.zip.ZipFile}: it needs a file on disk (fuzzing works on byte
 * arrays), silently picks one of duplicate names and does not tell whether entries overlap.
 * Here the central directory is parsed by hand and each entry is checked: one shared prefix
 * of safe names, no duplicates, local header agreeing with the central one, data ranges
 * inside the file and not overlapping (so one byte cannot be read as many tensors), sizes
 * and CRC-32 verified, inflation bounded by the declared size.
 */
final class ZipArchive {
    private static final int LOCAL = 0x04034b50;
    private static final int CENTRAL = 0x02014b50;
    private static final int END = 0x06054b50;
    private static final int END64 = 0x06064b50;
    private static final int END64_LOCATOR = 0x07064b50;
    static final int ALIGNMENT = 64;

    record Entry(String name, int method, long crc, long compressedSize, long size, int dataStart) {
    }

    private final byte[] bytes;
    private final String source;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    private ZipArchive(byte[] bytes, String source) {
        this.bytes = bytes;
        this.source = source;
    }

    static boolean looksLikeZip(byte[] b) {
        return b.length >= 4 && ByteReader.getI32(b, 0) == LOCAL;
    }

    static ZipArchive open(byte[] bytes, String source) throws FormatException {
        ZipArchive z = new ZipArchive(bytes, source);
        z.readDirectory();
        return z;
    }

    Map<String, Entry> entries() {
        return entries;
    }

    private FormatException fail(String fault) {
        return new FormatException(source, "zip archive " + fault);
    }

    private void readDirectory() throws FormatException {
        int end = findEnd();
        ByteReader r = new ByteReader(bytes, end + 4, bytes.length, source);
        int disk = r.u16();
        int cdDisk = r.u16();
        long count = r.u16();
        long total = r.u16();
        long cdSize = r.u32();
        long cdOffset = r.u32();
        if (count == 0xffff || total == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
            long[] z64 = readEnd64(end);
            count = total = z64[0];
            cdSize = z64[1];
            cdOffset = z64[2];
        } else if (disk != 0 || cdDisk != 0) {
            throw fail("spans several disks");
        }
        if (count != total) {
            throw fail("spans several disks");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > end || cdSize > end - cdOffset) {
            throw fail("central directory [" + cdOffset + ", +" + cdSize + "] lies outside the file (truncated?)");
        }
        // Each central record is at least 46 bytes: a bound on count before any allocation.
        if (count > cdSize / 46) {
            throw fail("declares " + count + " entries but its directory holds at most " + cdSize / 46);
        }
        ByteReader cd = new ByteReader(bytes, (int) cdOffset, (int) (cdOffset + cdSize), source);
        List<long[]> ranges = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            Entry e = readCentral(cd, cdOffset, ranges);
            if (entries.put(e.name, e) != null) {
                throw fail("has duplicate entry '" + Json.abbreviate(e.name) + "'");
            }
        }
        ranges.sort(Comparator.comparingLong(a -> a[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw fail("has overlapping entries");
            }
        }
    }

    private int findEnd() throws FormatException {
        int last = bytes.length - 22;
        int first = Math.max(0, last - 0xffff);
        for (int p = last; p >= first; p--) {
            if (ByteReader.getI32(bytes, p) == END && p + 22 + ByteReader.getU16(bytes, p + 20) == bytes.length) {
                return p;
            }
        }
        throw fail("has no end-of-central-directory record (truncated file?)");
    }

    private long[] readEnd64(int end) throws FormatException {
        if (end < 20 || ByteReader.getI32(bytes, end - 20) != END64_LOCATOR) {
            throw fail("needs a zip64 end record but has none");
        }
        long at = ByteReader.getI64(bytes, end - 20 + 8);
        if (at < 0 || at + 56 > end - 20 || ByteReader.getI32(bytes, (int) at) != END64) {
            throw fail("zip64 end record is missing or outside the file");
        }
        ByteReader r = new ByteReader(bytes, (int) at + 24, end - 20, source);
        long count = r.i64();
        long total = r.i64();
        long size = r.i64();
        long offset = r.i64();
        if (count != total || count < 0 || size < 0 || offset < 0) {
            throw fail("zip64 end record is invalid");
        }
        return new long[] {count, size, offset};
    }

    private Entry readCentral(ByteReader cd, long cdOffset, List<long[]> ranges) throws FormatException {
        if (cd.remaining() < 46 || cd.i32() != CENTRAL) {
            throw fail("central directory entry is malformed");
        }
        cd.skip(4, "versions");
        int flags = cd.u16();
        int method = cd.u16();
        cd.skip(4, "time");
        long crc = cd.u32();
        long csize = cd.u32();
        long usize = cd.u32();
        int nameLen = cd.u16();
        int extraLen = cd.u16();
        int commentLen = cd.u16();
        cd.skip(8, "attributes");
        long localOffset = cd.u32();
        String name = new String(cd.bytes(nameLen, "entry name"), StandardCharsets.UTF_8);
        int extraStart = cd.skip(extraLen, "extra field");
        cd.skip(commentLen, "comment");
        if (csize == 0xffffffffL || usize == 0xffffffffL || localOffset == 0xffffffffL) {
            long[] z = zip64Extra(extraStart, extraLen, usize, csize, localOffset, name);
            usize = z[0];
            csize = z[1];
            localOffset = z[2];
        }
        checkName(name);
        if ((flags & 1) != 0) {
            throw fail("entry '" + name + "' is encrypted");
        }
        if (method != 0 && method != 8) {
            throw fail("entry '" + name + "' uses compression method " + method + " (only stored and deflated are read)");
        }
        if (method == 0 && csize != usize) {
            throw fail("stored entry '" + name + "' has compressed size " + csize + " but size " + usize);
        }
        if (csize < 0 || csize > bytes.length || usize < 0) {
            throw fail("entry '" + name + "' declares an impossible size " + csize + " for a " + bytes.length + "-byte file");
        }
        if (usize > Integer.MAX_VALUE - 16 || (method == 8 && usize > csize * 1032 + 1024)) {
            throw fail("entry '" + name + "' declares an implausible uncompressed size " + usize);
        }
        // The local header repeats the name; its extra field may differ (PyTorch pads there).
        if (localOffset < 0 || localOffset > cdOffset - 30) {
            throw fail("entry '" + name + "' local header lies outside the file (truncated?)");
        }
        int lo = (int) localOffset;
        if (ByteReader.getI32(bytes, lo) != LOCAL) {
            throw fail("entry '" + name + "' has no local header at offset " + lo);
        }
        int localNameLen = ByteReader.getU16(bytes, lo + 26);
        int localExtraLen = ByteReader.getU16(bytes, lo + 28);
        long dataStart = localOffset + 30 + localNameLen + localExtraLen;
        if (csize > cdOffset - dataStart) {
            throw fail("entry '" + name + "' data runs past the central directory (truncated file?)");
        }
        if (localNameLen != nameLen || !new String(bytes, lo + 30, nameLen, StandardCharsets.UTF_8).equals(name)) {
            throw fail("entry '" + name + "' local header names a different file");
        }
        ranges.add(new long[] {localOffset, dataStart + csize});
        return new Entry(name, method, crc, csize, usize, (int) dataStart);
    }

    private long[] zip64Extra(int start, int len, long usize, long csize, long offset, String name)
            throws FormatException {
        ByteReader x = new ByteReader(bytes, start, start + len, source);
        while (x.remaining() >= 4) {
            int id = x.u16();
            int size = x.u16();
            int body = x.skip(size, "zip64 field");
            if (id == 1) {
                ByteReader f = new ByteReader(bytes, body, body + size, source);
                if (usize == 0xffffffffL) {
                    usize = f.i64();
                }
                if (csize == 0xffffffffL) {
                    csize = f.i64();
                }
                if (offset == 0xffffffffL) {
                    offset = f.i64();
                }
                return new long[] {usize, csize, offset};
            }
        }
        throw fail("entry '" + name + "' lacks its zip64 sizes");
    }

    private void checkName(String name) throws FormatException {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.contains("\0")
                || name.matches("^[A-Za-z]:.*")) {
            throw fail("entry name '" + Json.abbreviate(name) + "' is not a safe relative path");
        }
        for (String part : name.split("/", -1)) {
            if (part.equals("..") || part.equals(".")) {
                throw fail("entry name '" + Json.abbreviate(name) + "' contains '" + part + "'");
            }
        }
    }

    /** The entry's content, inflated if needed and checked against its CRC-32. */
    byte[] read(Entry e) throws FormatException {
        byte[] out;
        if (e.method == 0) {
            out = new byte[(int) e.size];
            System.arraycopy(bytes, e.dataStart, out, 0, out.length);
        } else {
            out = new byte[(int) e.size];
            Inflater inf = new Inflater(true);
            try {
                inf.setInput(bytes, e.dataStart, (int) e.compressedSize);
                int n = 0;
                while (n < out.length && !inf.finished()) {
                    int k = inf.inflate(out, n, out.length - n);
                    if (k == 0 && (inf.needsInput() || inf.needsDictionary())) {
                        break;
                    }
                    n += k;
                }
                byte[] probe = new byte[1];
                if (n != out.length || (!inf.finished() && inf.inflate(probe) > 0)) {
                    throw fail("entry '" + e.name + "' does not inflate to its declared " + e.size + " bytes");
                }
            } catch (DataFormatException ex) {
                throw fail("entry '" + e.name + "' has corrupt deflate data");
            } finally {
                inf.end();
            }
        }
        CRC32 crc = new CRC32();
        crc.update(out);
        if (crc.getValue() != e.crc) {
            throw fail("entry '" + e.name + "' fails its CRC-32 check");
        }
        return out;
    }

    /** Writes stored (uncompressed) entries, each data start aligned to 64 bytes. */
    static final class Writer {
        private final OutputStream out;
        private final List<byte[]> central = new ArrayList<>();
        private long offset;

        Writer(OutputStream out) {
            this.out = out;
        }

        void add(String name, byte[] data) throws IOException {
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            CRC32 crc = new CRC32();
            crc.update(data);
            long headerEnd = offset + 30 + nameBytes.length;
            // PyTorch pads with an extra field tagged "FB" so tensors can be memory-mapped aligned.
            int pad = (int) ((ALIGNMENT - (headerEnd + 4) % ALIGNMENT) % ALIGNMENT);
            int extraLen = 4 + pad;
            if (offset + 30 + nameBytes.length + extraLen + (long) data.length > 0xffffffffL) {
                throw new IOException("archive larger than 4 GiB is not supported by this writer");
            }
            ByteBuffer h = le(30 + nameBytes.length + extraLen);
            h.putInt(LOCAL).putShort((short) 20).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0x21) // 1980-01-01, a fixed time
                    .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
                    .putShort((short) nameBytes.length).putShort((short) extraLen).put(nameBytes)
                    .putShort((short) 0x4246).putShort((short) pad).put(new byte[pad]);
            out.write(h.array());
            out.write(data);
            ByteBuffer c = le(46 + nameBytes.length);
            c.putInt(CENTRAL).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0x21).putInt((int) crc.getValue())
                    .putInt(data.length).putInt(data.length).putShort((short) nameBytes.length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0)
                    .putInt(0).putInt((int) offset).put(nameBytes);
            central.add(c.array());
            offset += h.capacity() + data.length;
        }

        void finish() throws IOException {
            long cdStart = offset;
            long cdSize = 0;
            for (byte[] c : central) {
                out.write(c);
                cdSize += c.length;
            }
            ByteBuffer e = le(22);
            e.putInt(END).putShort((short) 0).putShort((short) 0).putShort((short) central.size())
                    .putShort((short) central.size()).putInt((int) cdSize).putInt((int) cdStart).putShort((short) 0);
            out.write(e.array());
            out.flush();
        }

        private static ByteBuffer le(int n) {
            return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        }
    }
}

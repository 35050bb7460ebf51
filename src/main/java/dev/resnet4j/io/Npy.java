package dev.resnet4j.io;

import dev.resnet4j.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NumPy's .npy format: magic, version, a header that is a Python dict literal
 * ({@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}), then raw data.
 *
 * <p>The header is parsed by a tiny literal reader that knows strings, booleans, integers and
 * tuples of integers, never by evaluating anything. Big-endian data is byte-swapped and
 * Fortran order transposed, so callers always see little-endian C order.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    static final int MAX_HEADER = 65536;

    private static final Map<String, String> NAMES = Map.of(
            "f4", "float32", "f8", "float64", "f2", "float16", "i8", "int64", "i4", "int32",
            "i2", "int16", "i1", "int8", "u1", "uint8", "b1", "bool");
    private static final Map<String, DType> TYPES = Map.of(
            "float32", DType.F32, "float64", DType.F64, "float16", DType.F16, "int64", DType.I64,
            "int32", DType.I32, "int16", DType.I16, "int8", DType.I8, "uint8", DType.U8, "bool", DType.BOOL);

    private Npy() {
    }

    static DType typeOf(String name) {
        DType t = TYPES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown dtype " + name);
        }
        return t;
    }

    /** Reads any supported array. */
    public static NpyArray read(Path file) throws IOException {
        return parse(AtomicFiles.readAll(file), FormatException.nameOf(file));
    }

    /** Reads a float or integer array as a float32 tensor of the file's shape. */
    public static Tensor readFloat(Path file) throws IOException {
        return read(file).toTensor();
    }

    /** Reads an integer (or bool) array's elements exactly, in C order; floats are refused. */
    public static long[] readLongs(Path file) throws IOException {
        NpyArray a = read(file);
        if (a.type().floating) {
            throw new FormatException(FormatException.nameOf(file), "array holds " + a.dtype() + ", not integers");
        }
        return a.longs();
    }

    /** The shape of the array in a file. */
    public static int[] readShape(Path file) throws IOException {
        return read(file).shape();
    }

    static NpyArray parse(byte[] bytes, String source) throws FormatException {
        ByteReader in = new ByteReader(bytes, source);
        if (bytes.length < 10) {
            throw in.fail("too short for a .npy file (" + bytes.length + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw in.fail("not a .npy file (bad magic)");
            }
        }
        in.skip(6, "magic");
        int major = in.u8();
        int minor = in.u8();
        long headerLen;
        if (major == 1 && minor == 0) {
            headerLen = in.u16();
        } else if ((major == 2 || major == 3) && minor == 0) {
            headerLen = in.u32();
        } else {
            throw in.fail(".npy version " + major + "." + minor + " is not supported");
        }
        if (headerLen > MAX_HEADER) {
            throw in.fail(".npy header of " + headerLen + " bytes exceeds the " + MAX_HEADER + "-byte limit");
        }
        int start = in.skip(headerLen, "header");
        // Version 3 allows UTF-8 in the header; field names and values we accept are ASCII.
        String header = new String(bytes, start, (int) headerLen, StandardCharsets.UTF_8);
        Map<String, Object> dict = new HeaderParser(header, in).dict();
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw in.fail(".npy header keys " + dict.keySet() + " are not exactly descr, fortran_order, shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw in.fail(".npy descr is not a simple type string (structured dtypes are not supported)");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw in.fail(".npy fortran_order is not True or False");
        }
        if (!(dict.get("shape") instanceof long[] dims)) {
            throw in.fail(".npy shape is not a tuple of integers");
        }
        char order = descr.isEmpty() ? '?' : descr.charAt(0);
        String name = descr.isEmpty() ? null : NAMES.get(descr.substring(1));
        if (name == null || "<>|=".indexOf(order) < 0) {
            // Object arrays would need pickle to read; they are refused, never unpickled.
            throw in.fail(".npy dtype '" + Json.abbreviate(descr) + "' is not supported"
                    + (descr.contains("O") ? " (object arrays are refused)" : ""));
        }
        DType type = TYPES.get(name);
        int[] shape = new int[dims.length];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw in.fail(".npy shape has invalid dimension " + dims[i]);
            }
            shape[i] = (int) dims[i];
            numel *= dims[i];
            if (numel > Integer.MAX_VALUE - 8) {
                throw in.fail(".npy array has more elements than one Java array can hold");
            }
        }
        long expected = numel * type.size;
        if (expected != in.remaining()) {
            throw in.fail(".npy shape " + Tensor.shapeString(shape) + " of " + name + " needs " + expected
                    + " data bytes but the file has " + in.remaining());
        }
        int dataStart = in.position();
        byte[] data;
        if (fortran && shape.length > 1) {
            // Fortran order is C order of the reversed shape: gather with column-major strides.
            long[] strides = new long[shape.length];
            long acc = 1;
            for (int i = 0; i < shape.length; i++) {
                strides[i] = acc;
                acc *= shape[i];
            }
            data = Strided.gather(bytes, dataStart, type.size, shape, strides, 0);
        } else {
            data = java.util.Arrays.copyOfRange(bytes, dataStart, dataStart + (int) expected);
        }
        if (order == '>' && type.size > 1) {
            swapBytes(data, type.size);
        }
        return new NpyArray(shape, name, data);
    }

    private static void swapBytes(byte[] data, int size) {
        for (int p = 0; p < data.length; p += size) {
            for (int i = 0, j = size - 1; i < j; i++, j--) {
                byte t = data[p + i];
                data[p + i] = data[p + j];
                data[p + j] = t;
            }
        }
    }

    /** Writes a float32 array ({@code '<f4'}, C order, format version 1.0). */
    public static void write(Tensor tensor, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            writeHeader(out, "<f4", tensor.shape());
            Safetensors.writeFloats(tensor.data(), out);
        });
    }

    /** Writes an int64 array ({@code '<i8'}, C order); {@code data.length} must match {@code shape}. */
    public static void writeLongs(long[] data, int[] shape, Path file) throws IOException {
        if (Tensor.numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Tensor.shapeString(shape) + " needs " + Tensor.numel(shape)
                    + " elements but the data has " + data.length);
        }
        AtomicFiles.write(file, out -> {
            writeHeader(out, "<i8", shape);
            ByteBuffer bb = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : data) {
                bb.clear();
                out.write(bb.putLong(v).array());
            }
        });
    }

    private static void writeHeader(OutputStream out, String descr, int[] shape) throws IOException {
        StringBuilder sb = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        sb.append(shape.length == 1 ? ",), }" : "), }");
        // NumPy pads with spaces and ends with a newline so the data starts 64-byte aligned.
        int total = 10 + sb.length() + 1;
        int padded = (total + 63) / 64 * 64;
        sb.append(" ".repeat(padded - total)).append('\n');
        byte[] header = sb.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(MAGIC);
        out.write(1);
        out.write(0);
        out.write(header.length & 0xff);
        out.write(header.length >>> 8);
        out.write(header);
    }

    /** Reads the header's dict literal; tuples of integers become {@code long[]}. */
    private static final class HeaderParser {
        private final String s;
        private final ByteReader at;
        private int pos;

        HeaderParser(String s, ByteReader at) {
            this.s = s;
            this.at = at;
        }

        private FormatException fail(String fault) {
            return at.fail(".npy header is not a valid dict literal at character " + pos + ": " + fault);
        }

        Map<String, Object> dict() throws FormatException {
            Map<String, Object> out = new LinkedHashMap<>();
            space();
            expect('{');
            space();
            while (peek() != '}') {
                String key = string();
                space();
                expect(':');
                space();
                Object v = value();
                if (out.put(key, v) != null) {
                    throw fail("duplicate key '" + Json.abbreviate(key) + "'");
                }
                space();
                if (peek() == ',') {
                    pos++;
                    space();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            pos++;
            space();
            if (pos != s.length()) {
                throw fail("unexpected text after the dict");
            }
            return out;
        }

        private Object value() throws FormatException {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                pos++;
                List<Long> items = new ArrayList<>();
                space();
                while (peek() != ')') {
                    items.add(integer());
                    space();
                    if (peek() == ',') {
                        pos++;
                        space();
                    } else if (peek() != ')') {
                        throw fail("expected ',' or ')'");
                    }
                }
                pos++;
                long[] out = new long[items.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = items.get(i);
                }
                return out;
            }
            if (c == '[') {
                throw fail("list values (structured dtypes) are not supported");
            }
            return integer();
        }

        private long integer() throws FormatException {
            int start = pos;
            while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) {
                pos++;
            }
            if (pos < s.length() && s.charAt(pos) == 'L') {
                pos++; // Python 2 long suffix
            }
            String digits = s.substring(start, pos).replace("L", "");
            if (digits.isEmpty() || digits.length() > 18) {
                throw fail("expected a non-negative integer");
            }
            return Long.parseLong(digits);
        }

        private String string() throws FormatException {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw fail("expected a string");
            }
            int end = s.indexOf(q, pos + 1);
            if (end < 0) {
                throw fail("unterminated string");
            }
            String v = s.substring(pos + 1, end);
            if (v.indexOf('\\') >= 0) {
                throw fail("escapes in strings are not supported");
            }
            pos = end + 1;
            return v;
        }

        private void expect(char c) throws FormatException {
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() throws FormatException {
            if (pos >= s.length()) {
                throw fail("unexpected end");
            }
            return s.charAt(pos);
        }

        private void space() {
            while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\t'
                    || s.charAt(pos) == '\r')) {
                pos++;
            }
        }
    }
}

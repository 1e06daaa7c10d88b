package io.pgcdc.jni;

import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the protobuf wire format to read a pgcdc.v1.ChangeBatch in
 * the tests without a protobuf library: fields by number, varints and
 * length-delimited bytes (schemas/pgcdc/change_batch.proto).
 */
final class Proto {
    record Field(int number, int wireType, long varint, byte[] bytes) {
    }

    static List<Field> parse(byte[] b) {
        List<Field> out = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < b.length) {
            long key = varint(b, pos);
            int number = (int) (key >>> 3), type = (int) (key & 7);
            switch (type) {
                case 0 -> out.add(new Field(number, type, varint(b, pos), null));
                case 1 -> {
                    pos[0] += 8;
                    out.add(new Field(number, type, 0, null));
                }
                case 2 -> {
                    int len = (int) varint(b, pos);
                    if (len < 0 || pos[0] + len > b.length) {
                        throw new IllegalArgumentException("truncated field " + number);
                    }
                    byte[] v = new byte[len];
                    System.arraycopy(b, pos[0], v, 0, len);
                    pos[0] += len;
                    out.add(new Field(number, type, 0, v));
                }
                case 5 -> {
                    pos[0] += 4;
                    out.add(new Field(number, type, 0, null));
                }
                default -> throw new IllegalArgumentException("wire type " + type);
            }
        }
        if (pos[0] != b.length) {
            throw new IllegalArgumentException("trailing bytes");
        }
        return out;
    }

    static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b[pos[0]++];
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }

    static long first(List<Field> f, int number) {
        return f.stream().filter(x -> x.number() == number).mapToLong(Field::varint).findFirst().orElse(0);
    }

    static List<byte[]> all(List<Field> f, int number) {
        return f.stream().filter(x -> x.number() == number).map(Field::bytes).toList();
    }
}

package dev.petrel.tokenizer.core;

import java.util.Arrays;

/** A growable list of ints, so token ids and text offsets are collected without boxing. */
public final class IntList {
    private int[] items;
    private int size;

    public IntList() {
        this(16);
    }

    public IntList(int capacity) {
        items = new int[Math.max(capacity, 4)];
    }

    public void add(int value) {
        if (size == items.length) {
            items = Arrays.copyOf(items, items.length * 2);
        }
        items[size++] = value;
    }

    public void add(int first, int second) {
        add(first);
        add(second);
    }

    public void addAll(int[] values) {
        int needed = size + values.length;
        if (needed > items.length) {
            items = Arrays.copyOf(items, Math.max(needed, items.length * 2));
        }
        System.arraycopy(values, 0, items, size, values.length);
        size = needed;
    }

    public int get(int index) {
        return items[index];
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void clear() {
        size = 0;
    }

    public int[] toArray() {
        return Arrays.copyOf(items, size);
    }
}

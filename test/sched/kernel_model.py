#!/usr/bin/env python3
"""Independent model of ip_vs_rr.c and ip_vs_wrr.c on a real circular doubly linked list with a
head sentinel (as struct list_head), used to generate test/sched/kernel-trace.json.

It follows the C code line by line: list_add_rcu (push after head), list_del_rcu (the deleted
node keeps its next pointer, which rr's del_dest uses: p->next->prev), list_for_each_entry_continue
(starts at pos->next, stops at the head). Run: python3 test/sched/kernel_model.py > test/sched/kernel-trace.json
"""
import json
from math import gcd


class Node:
    def __init__(self, name=None, weight=0):
        self.name, self.weight, self.overload = name, weight, False
        self.next = self.prev = self


class Svc:
    def __init__(self):
        self.head = Node()

    def add(self, node):  # list_add_rcu(&dest->n_list, &svc->destinations)
        node.next, node.prev = self.head.next, self.head
        self.head.next.prev = node
        self.head.next = node

    def unlink(self, node):  # list_del_rcu: neighbours relinked, node->next kept
        node.prev.next = node.next
        node.next.prev = node.prev

    def nodes(self):
        p, out = self.head.next, []
        while p is not self.head:
            out.append(p)
            p = p.next
        return out


class RR:
    def __init__(self, svc):
        self.svc, self.p = svc, svc.head

    def del_dest(self, node):  # called after unlink
        if self.p is node:
            self.p = self.p.next.prev

    def schedule(self):
        head, p = self.svc.head, self.p
        last = dest = p
        passes = 0
        while True:
            d = dest.next
            while d is not head:
                if not d.overload and d.weight > 0:
                    self.p = d
                    return d
                if d is last:
                    return None
                d = d.next
            dest = head
            passes += 1
            if not (passes < 2 and p is not head):
                return None


class WRR:
    def __init__(self, svc):
        self.svc = svc
        self.cl = svc.head
        self.di = self.gcd()
        self.mw = self.maxw() - (self.di - 1)
        self.cw = self.mw

    def gcd(self):
        g = 0
        for d in self.svc.nodes():
            if d.weight > 0:
                g = gcd(d.weight, g) if g > 0 else d.weight
        return g or 1

    def maxw(self):
        return max([0] + [d.weight for d in self.svc.nodes()])

    def changed(self):
        self.cl = self.svc.head
        self.di = self.gcd()
        self.mw = self.maxw() - (self.di - 1)
        if self.cw > self.mw or not self.cw:
            self.cw = self.mw
        elif self.di > 1:
            self.cw = (self.cw // self.di) * self.di + 1  # ints are positive here

    def schedule(self):
        head = self.svc.head
        dest = self.cl
        if self.mw == 0:
            self.cl = dest
            return None
        last, stop = dest, None
        last_pass = restarted = False
        while True:
            d = dest.next
            while d is not head:
                if not d.overload and d.weight >= self.cw:
                    self.cl = d
                    return d
                if d is stop:
                    self.cl = d
                    return None
                d = d.next
            dest = head
            self.cw -= self.di
            if self.cw <= 0:
                self.cw = self.mw
                if last_pass or last is head:
                    self.cl = dest
                    return None
                restarted = True
            last_pass = self.cw <= self.di
            if last_pass and restarted and last is not head:
                stop = last


def lcg(seed):
    x = seed
    while True:
        x = (x * 1664525 + 1013904223) % 2**32
        yield x / 2**32


def trace(kind, seed):
    rnd = lcg(seed)
    svc = Svc()
    sched = RR(svc) if kind == 'rr' else WRR(svc)
    ops, n = [], 1
    for _ in range(300):
        r = next(rnd)
        names = [d.name for d in svc.nodes()]
        if r < 0.1 and len(names) < 10:
            w = int(next(rnd) * 5)
            node = Node(f'10.0.0.{n}', w)
            n += 1
            svc.add(node)
            if kind == 'wrr':
                sched.changed()
            ops.append(['add', node.name, w])
        elif r < 0.16 and names:
            node = svc.nodes()[int(next(rnd) * len(names))]
            svc.unlink(node)
            if kind == 'rr':
                sched.del_dest(node)
            else:
                sched.changed()
            ops.append(['del', node.name])
        elif r < 0.24 and names:
            node = svc.nodes()[int(next(rnd) * len(names))]
            node.weight = int(next(rnd) * 7)
            if kind == 'wrr':
                sched.changed()
            ops.append(['edit', node.name, node.weight])
        elif r < 0.28 and names:
            node = svc.nodes()[int(next(rnd) * len(names))]
            node.overload = not node.overload
            ops.append(['overload', node.name, node.overload])
        else:
            d = sched.schedule()
            ops.append(['pick', d.name if d else None])
    return ops


print(json.dumps({k: [trace(k, s) for s in range(1, 21)] for k in ('rr', 'wrr')}))

// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Twenty small, different python3 programs for the fleet scenario. Each imports its own mix of
 * standard modules backed by C extensions and shared libraries (sqlite3 → libsqlite3, ssl →
 * libssl/libcrypto, ctypes → libffi, curses → libncursesw, lzma → liblzma, …), builds a little
 * data of its own, prints "ready" and sleeps. None starts a thread (capture wants one).
 */
final class PythonPrograms {
    private static final List<String> BODIES = List.of(
            "import json\nd = json.loads(json.dumps({'k%d' % i: list(range(i)) for i in range(300)}))",
            "import sqlite3\nc = sqlite3.connect(':memory:')\nc.execute('create table t(x)')\n"
                    + "c.executemany('insert into t values (?)', [(i,) for i in range(5000)])",
            "import ssl, hashlib\nctx = ssl.create_default_context()\nh = hashlib.sha256(b'x' * 100000).hexdigest()",
            "import decimal\nx = [decimal.Decimal(i) / 7 for i in range(5000)]",
            "import ctypes\nbuf = ctypes.create_string_buffer(200000)\nlibc = ctypes.CDLL(None)",
            "import lzma, bz2, zlib\nz = [lzma.compress(b'abc' * 1000), bz2.compress(b'abc' * 1000), zlib.compress(b'a' * 99)]",
            "import xml.etree.ElementTree as ET\nroot = ET.fromstring('<a>' + '<b x=\"1\"/>' * 2000 + '</a>')",
            "import asyncio\nloop = asyncio.new_event_loop()\nfuts = [loop.create_future() for _ in range(1000)]",
            "import curses, readline\nnames = dir(curses) + dir(readline)",
            "import uuid, zoneinfo\nids = [uuid.uuid4() for _ in range(2000)]\ntz = zoneinfo.ZoneInfo('UTC')",
            "import multiprocessing, queue\nq = queue.Queue()\n[q.put(i) for i in range(3000)]\n"
                    + "ctx = multiprocessing.get_context('spawn')",
            "import unicodedata, codecs\nnames = [unicodedata.name(chr(c), '') for c in range(0x4e00, 0x5e00)]\n"
                    + "g = 'hello'.encode('gbk') + 'x'.encode('shift_jis') + 'y'.encode('big5')",
            "import csv, io\nrows = list(csv.reader(io.StringIO('a,b,c\\n' * 5000)))",
            "import mmap, resource, termios\nm = mmap.mmap(-1, 1 << 20)\nm.write(b'z' * 4096)\n"
                    + "lim = resource.getrlimit(resource.RLIMIT_NOFILE)",
            "import dbm.dumb as dumb, pickle, tempfile, os\np = pickle.dumps({i: str(i) for i in range(5000)})",
            "import datetime, calendar, statistics\nd = [datetime.date(2000, 1, 1) + datetime.timedelta(days=i) "
                    + "for i in range(5000)]\ns = statistics.mean(range(1000))",
            "import array, struct, random\nrandom.seed(7)\na = array.array('d', (random.random() for _ in range(50000)))\n"
                    + "b = struct.pack('<1000I', *range(1000))",
            "import email.message, http.client, urllib.parse\nm = email.message.EmailMessage()\nm['To'] = 'a@b'\n"
                    + "u = [urllib.parse.urlparse('http://h/%d?q=1' % i) for i in range(3000)]",
            "import cProfile, pstats, audioop, crypt\np = cProfile.Profile()\nx = audioop.add(b'\\x00\\x01' * 1000, "
                    + "b'\\x01\\x00' * 1000, 2)",
            "import re, textwrap, difflib\nw = textwrap.wrap('lorem ipsum ' * 2000, 60)\n"
                    + "r = [re.compile('a%db+' % i) for i in range(500)]\nd = list(difflib.ndiff(w[:50], w[1:51]))");

    private PythonPrograms() {
    }

    /** Writes {@code count} programs (cycling through the list beyond twenty) and returns their paths. */
    static List<Path> write(Path dir, int count) throws IOException {
        List<Path> scripts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path p = dir.resolve(String.format("fleet%02d.py", i + 1));
            Files.writeString(p, "import warnings\nwarnings.simplefilter('ignore')\n" + BODIES.get(i % BODIES.size())
                    + "\nimport time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(3600)\n");
            scripts.add(p);
        }
        return scripts;
    }
}

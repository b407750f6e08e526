#!/usr/bin/env python3
"""Trains the chat task classifier from the labelled prompts in data/tasks/prompts/.

Character n-grams (no tokenizer, so Chinese and Japanese work as well as English) weighted by
TF-IDF, the most informative K kept by chi-squared, and the average of two linear models over them:
a multinomial logistic regression and NB-LR (naive Bayes log-count ratios, then one-against-the-rest
logistic regressions). The average is itself one linear model; its weights are quantised and
written to src/core/routing/classifier.json, which the extension ships and
src/core/routing/classify.ts reads. The feature function here and `features()` there are the
same specification; data/tasks/model-check.json records this script's predictions on the held-out
split so a unit test proves the TypeScript side computes the same thing.

Deterministic: same corpus, same output bytes. Run with Debian's python3-sklearn:
    npm run train:classifier        (or: /usr/bin/python3 data/tasks/train.py)
    /usr/bin/python3 data/tasks/train.py --cv    also prints leave-one-file-out accuracy
"""
import base64
import collections
import glob
import hashlib
import json
import os
import re
import sys
import unicodedata

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.feature_selection import SelectKBest, chi2
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROMPTS = os.path.join(HERE, 'prompts')
OUT_MODEL = os.path.join(ROOT, 'src', 'core', 'routing', 'classifier.json')
OUT_CHECK = os.path.join(HERE, 'model-check.json')

LABELS = ['code_generation', 'code_review', 'creative_writing', 'data_analysis',
          'translation', 'math_reasoning', 'general_qa', 'summarization']
LANGS = ['en', 'zh', 'ja', 'es', 'de']
TEST_PERCENT = 20  # share of prompts held out, chosen by a hash of the text: training never sees them
K_FEATURES = 14000  # 8-bit weights keep the file under 300 KB (cross-validated: 9,000 0.923, 12,000 0.930, 14,000 0.931); 20,000 at 4 bits scored no better
C = 40.0  # the multinomial logistic regression's
NB_C = 30.0  # each one-against-the-rest NB-LR model's

# ---- the feature specification (mirrored exactly in src/core/routing/classify.ts) -----------------
MIN_N, MAX_N = 1, 4
HEAD, TAIL = 300, 150  # prose code points kept from the start and the end of a long message (600/300 scored no better)
WS = re.compile('[ \t\n\r\f\v\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+')
FENCE = re.compile('```([^\n`]*)\n[\\s\\S]*?(?:```|\\Z)')
MARK = '\u0000'
WORD_EDGE = re.compile(r'^\W+|\W+$')
CODE_WORD = re.compile('[a-z_]+')
MAX_CODE_WORDS = 50
KNOWN_WORDS = 1000  # common words shipped for a faster classify(); 1,000 cover 48% of a long message's prose (6 KB)


def normalise(text):
    return unicodedata.normalize('NFKC', text).lower()


DIFF_LINE = re.compile('^[+-](?![+-])', re.M)
TRACE = re.compile('traceback|exception|error|panic|^\\s+at ', re.M)


def block_shape(block):
    """What a fenced block looks like: a diff, a stack trace or log, numbers and tables, prose, or code."""
    body = block.split('\n', 1)[1] if '\n' in block else ''
    lines = [l for l in body.split('\n') if l.strip() and not l.startswith('```')]
    if not lines:
        return 'empty'
    if sum(1 for l in lines if DIFF_LINE.match(l)) * 3 >= len(lines):
        return 'diff'
    if TRACE.search(body):
        return 'trace'
    chars = ''.join(lines)
    digits = sum(c.isdigit() for c in chars)
    if digits * 4 >= len(chars):
        return 'numbers'
    symbols = sum(c in '{}();=<>[]' for c in chars)
    letters = sum(c.isalpha() for c in chars)
    if symbols * 40 < len(chars) and letters * 2 > len(chars):
        return 'prose'
    return 'code'


def prose_words(text):
    """The prose words features() takes n-grams of: outside fenced code, within the head and the tail."""
    prose = FENCE.sub(' ', normalise(text))
    if len(prose) > HEAD + TAIL:
        prose = prose[:HEAD] + ' ' + prose[-TAIL:]
    return [w for w in WS.split(prose) if w]


def known_words(train_rows, vocab):
    """The training split's most common prose words that no word feature names, most characters
    first. Not part of the model: the classifier keeps their n-grams once it has walked them, so a
    message made of common words needs fewer walks (classify.ts)."""
    named = {f[3:] for f in vocab if f.startswith(MARK + 'w:')}
    named |= {w for f in vocab if f.startswith(MARK + 'b:') for w in f[3:].split(' ')}
    counts = collections.Counter(w for r in train_rows for w in prose_words(r['text']))
    # Only words with no punctuation round them: those are their own word (classify.ts relies on it).
    common = [w for w, n in counts.items() if n >= 3 and len(w) <= 16 and w not in named and WORD_EDGE.sub('', w) == w]
    common.sort(key=lambda w: (-counts[w] * (len(w) + 2), w))
    return common[:KNOWN_WORDS]


def features(text):
    """Message text -> feature strings: char n-grams of each prose word padded with spaces (as
    scikit-learn's char_wb), the prose words and word pairs, and for fenced code a marker, its
    language tag, its first identifiers and its shape; plus a marker for the prose length."""
    t = normalise(text)
    blocks = list(FENCE.finditer(t))
    out = []
    words = prose_words(text)
    for word in words:
        w = ' ' + word + ' '
        for n in range(MIN_N, MAX_N + 1):
            if len(w) < n:
                break
            for i in range(len(w) - n + 1):
                out.append(w[i:i + n])
    clean = [c for c in (WORD_EDGE.sub('', w) for w in words) if c]
    out += [MARK + 'w:' + c for c in clean]
    out += [MARK + 'b:' + a + ' ' + b for a, b in zip(clean, clean[1:])]
    if blocks:
        out.append(MARK + 'code')
        for m in blocks:
            lang = m.group(1).strip().split(' ')[0]
            if lang:
                out.append(MARK + 'lang:' + lang)
        code_words = [w for m in blocks for w in CODE_WORD.findall(m.group(0))][:MAX_CODE_WORDS]
        out += [MARK + 'c:' + w for w in code_words]
        # One marker per block for its shape: +0.3 points in cross-validation.
        out += [MARK + 'shape:' + block_shape(m.group(0)) for m in blocks]
    size = sum(len(w) for w in words)
    out.append(MARK + 'len:' + ('0' if size == 0 else '1' if size < 20 else '2' if size < 80 else '3' if size < 300 else '4'))
    return out

# ---- corpus -----------------------------------------------------------------------------------------


def text_hash(text):
    return hashlib.sha1(normalise(text).encode('utf-8')).hexdigest()


def is_test(text):
    return int(text_hash(text)[:8], 16) % 100 < TEST_PERCENT


def load():
    files = sorted(glob.glob(os.path.join(PROMPTS, '*.jsonl')))
    digest = hashlib.sha256()
    rows, seen = [], set()
    for path in files:
        name = os.path.basename(path)
        with open(path, 'rb') as f:
            raw = f.read()
        digest.update(name.encode('utf-8') + b'\n' + raw)
        for n, line in enumerate(raw.decode('utf-8').split('\n'), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get('task') not in LABELS or row.get('lang') not in LANGS or not isinstance(row.get('text'), str):
                sys.exit(f'{name}:{n}: bad row {line[:80]}')
            h = text_hash(row['text'])
            if h in seen:
                continue  # an exact duplicate (after normalising) counts once
            seen.add(h)
            rows.append({**row, 'file': name, 'hash': h})
    return rows, digest.hexdigest(), [os.path.basename(p) for p in files]

# ---- training and the shipped (quantised) model -------------------------------------------------


def fit(train_rows):
    texts = [r['text'] for r in train_rows]
    y = np.array([LABELS.index(r['task']) for r in train_rows])
    full = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=2)
    x = full.fit_transform(texts)
    k = min(K_FEATURES, x.shape[1])
    keep = SelectKBest(chi2, k=k).fit(x, y).get_support(indices=True)
    names = full.get_feature_names_out()
    vocab = sorted(names[i] for i in keep)
    vec = TfidfVectorizer(analyzer=features, sublinear_tf=True, vocabulary=vocab)
    x = vec.fit_transform(texts)
    lr = LogisticRegression(C=C, max_iter=5000)
    lr.fit(x, y)
    nb_coef, nb_intercept = fit_nb_lr(x, y)
    # Both are linear in the same features, so their average is one linear model: the shipped weights
    # and the inference stay as they were. (Cross-validated on the training split with 12,000
    # features: 0.924 for the multinomial model alone, 0.921 for NB-LR alone, 0.930 for the average.)
    coef = (lr.coef_ + nb_coef) / 2
    intercept = (lr.intercept_ + nb_intercept) / 2
    return quantise(vocab, vec.idf_, coef, intercept)


def fit_nb_lr(x, y):
    """NB-LR (Wang and Manning's NBSVM with a logistic loss): per task, each feature scaled by its
    naive Bayes log-count ratio (this task against the others, presence counts, add-one smoothing),
    then a one-against-the-rest logistic regression. Folding the ratios into the weights gives a
    linear model over the unscaled features."""
    present = (x > 0).astype(np.float64)
    coef, intercept = [], []
    for c in range(len(LABELS)):
        p = 1 + np.asarray(present[y == c].sum(axis=0)).ravel()
        q = 1 + np.asarray(present[y != c].sum(axis=0)).ravel()
        r = np.log((p / p.sum()) / (q / q.sum()))
        m = LogisticRegression(C=NB_C, max_iter=5000).fit(x @ sp.diags(r), (y == c).astype(int))
        coef.append(m.coef_[0] * r)
        intercept.append(m.intercept_[0])
    return np.array(coef), np.array(intercept)


def quantise(vocab, idf, coef, intercept):
    lo, hi = float(idf.min()), float(idf.max())
    idf_q = np.round((idf - lo) / (hi - lo) * 255).astype(np.uint8) if hi > lo else np.zeros(len(idf), np.uint8)
    scales = np.abs(coef).max(axis=1) / 127.0
    w_q = np.round(coef / scales[:, None]).astype(np.int8)  # [class, feature]
    return {
        'labels': LABELS,
        'vocab': vocab,
        'idf': {'lo': round(lo, 6), 'hi': round(hi, 6), 'q': idf_q},
        'scales': [round(float(s), 8) for s in scales],
        'intercepts': [round(float(b), 6) for b in intercept],
        'w': w_q.T.copy(),  # [feature, class]: one feature's weights are adjacent
    }


def predict(model, text):
    """Inference with the quantised parameters, exactly as classify.ts does it."""
    index = model.get('_index')
    if index is None:
        index = model['_index'] = {f: i for i, f in enumerate(model['vocab'])}
        idf = model['idf']
        model['_idf'] = idf['lo'] + idf['q'].astype(np.float64) * (idf['hi'] - idf['lo']) / 255
    counts = {}
    for f in features(text):
        i = index.get(f)
        if i is not None:
            counts[i] = counts.get(i, 0) + 1
    scores = np.array(model['intercepts'], dtype=np.float64)
    if counts:
        ids = np.array(sorted(counts))
        vals = (1 + np.log(np.array([counts[i] for i in ids], dtype=np.float64))) * model['_idf'][ids]
        vals /= np.sqrt((vals * vals).sum())
        w = model['w'][ids].astype(np.float64) * np.array(model['scales'])[None, :]
        scores = scores + vals @ w
    e = np.exp(scores - scores.max())
    return e / e.sum()


def evaluate(model, rows):
    correct = {}
    for r in rows:
        p = predict(model, r['text'])
        ok = LABELS[int(p.argmax())] == r['task']
        for key in ('all', r['lang']):
            c = correct.setdefault(key, [0, 0])
            c[0] += ok
            c[1] += 1
    return {k: (v[0] / v[1], v[1]) for k, v in correct.items()}


def write_model(model, corpus_sha, files, counts, known):
    data = {
        'format': 'switchboard-task-classifier/1',
        'corpusSha256': corpus_sha,
        'files': files,
        'counts': counts,
        'features': {'minN': MIN_N, 'maxN': MAX_N, 'head': HEAD, 'tail': TAIL, 'maxCodeWords': MAX_CODE_WORDS},
        'labels': model['labels'],
        'vocab': '\n'.join(model['vocab']),
        'known': '\n'.join(known),
        'idf': {'lo': model['idf']['lo'], 'hi': model['idf']['hi'], 'q': base64.b64encode(model['idf']['q'].tobytes()).decode()},
        'scales': model['scales'],
        'intercepts': model['intercepts'],
        'weights': base64.b64encode(model['w'].tobytes()).decode(),
    }
    with open(OUT_MODEL, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')


def main():
    rows, corpus_sha, files = load()
    train = [r for r in rows if not is_test(r['text'])]
    test = [r for r in rows if is_test(r['text'])]
    if '--cv' in sys.argv:
        print('leave-one-file-out (train on the other files, test on this one):')
        for name in files:
            held = [r for r in rows if r['file'] == name]
            m = fit([r for r in rows if r['file'] != name])
            acc, n = evaluate(m, held)['all']
            print(f'  {name:24} {acc:.3f} of {n}')
    model = fit(train)
    result = evaluate(model, test)
    counts = {'total': len(rows), 'train': len(train), 'test': len(test),
              'byTask': {t: sum(r['task'] == t for r in rows) for t in LABELS},
              'byLang': {l: sum(r['lang'] == l for r in rows) for l in LANGS}}
    write_model(model, corpus_sha, files, counts, known_words(train, model['vocab']))
    check = {
        'corpusSha256': corpus_sha,
        'testPercent': TEST_PERCENT,
        'accuracy': {k: round(v[0], 6) for k, v in sorted(result.items())},
        'predictions': {r['hash']: [LABELS[int(p.argmax())], round(float(p.max()), 6)]
                        for r in test for p in [predict(model, r['text'])]},
    }
    with open(OUT_CHECK, 'w', encoding='utf-8') as f:
        json.dump(check, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write('\n')
    print(f'{len(rows)} prompts ({len(train)} train, {len(test)} held out), {len(model["vocab"])} features, '
          f'{os.path.getsize(OUT_MODEL) / 1024:.1f} KB')
    for k, (acc, n) in sorted(result.items(), key=lambda kv: -kv[1][1]):
        print(f'  held-out accuracy {k:4} {acc:.3f} of {n}')


if __name__ == '__main__':
    main()

"""The embedded CPU engine: a consensus of similar reports, re-grounded in the current findings.

What the IU reports teach, and what the engine does with it:

1. **Most impressions are a normal template, and which template is the radiologist's style.** Normal
   studies (two thirds) get one of a few dozen sentences ("No acute cardiopulmonary abnormality.", "No
   active disease.", "Normal chest x-XXXX."), and the findings text betrays who wrote it. So the engine
   retrieves the ``k_reports`` most similar indexed reports (TF-IDF cosine over findings, weighted as the
   retrieval engine weighs them) and weighs each by ``similarity ** similarity_power``, more when it
   shares the exam type (OBR-4) or the radiologist (OBR-32) of the current report, when both are known
   (``procedure_boost``, ``interpreter_boost``; the IU reports carry neither). Among their
   impressions it prefers the **consensus** one: the candidate with the highest weighted ROUGE-L against
   all the others (a minimum-Bayes-risk choice, which is what maximises expected ROUGE).
2. **Abnormal impressions restate the salient findings.** Findings sentences that assert something
   (words outside a negation that are not a normal statement) are scored for **salience**: how often the
   most similar findings sentences in the index were carried into their report's impression (aligned
   through shared words and word associations learned from the index, e.g. "enlarged" ~ "cardiomegaly").
   Candidates are composed from the (up to three) most salient sentences: as written (trimmed of "There
   is", "is noted"), cut to their first clause in impression word order ("The heart is mildly enlarged"
   -> "Mild cardiomegaly"), or as the impression phrase aligned with their nearest indexed sentences;
   each alone, after or before the neighbours' consensus normal sentence, plain or numbered.
3. **One scorer picks among all candidates.** Each candidate (neighbour impressions and compositions)
   gets features (consensus, votes, similarity, how much of it the findings support, salience and
   coverage of the salient sentences, how abnormal the neighbours' impressions are, length, numbering)
   and a linear score. :data:`.engine.DEFAULT_WEIGHTS` were fitted by :func:`.fit.fit_weights` on the
   train part of the IU split (:func:`radimpress.datasets.split.load_split`), never on its dev part: each
   train report left out in turn, least squares on every candidate's ROUGE-L, then coordinate ascent on the
   ROUGE-L of the candidate actually chosen, overall plus on the abnormal impressions (where drafts matter
   most).
4. **Never contradict the findings.** The best-scoring candidate that survives re-grounding is drafted:
   a sentence naming a side the matching findings do not (left for right) has its side replaced when the
   findings name exactly one side, and the candidate is skipped otherwise; a candidate asserting a
   finding the findings only negate ("small effusion" for "no pleural effusion"), or negating one they
   assert, is skipped. Compositions copy the findings, so one always survives.

Measured by ``bench/engine.py`` on the IU dev split, the index being its train part: ROUGE-L 0.6583 over
all dev reports (1-NN retrieval 0.6057, the constant sentence 0.4537) and 0.3538 on the abnormal subset
(1-NN 0.2610, constant 0.1250); about 7 ms a draft on one core.

Modules, each importing only those listed above it:

* :mod:`~radimpress.drafting.engines.consensus.overlap`: ROUGE-L on tokens, the consensus (MBR) choice.
* :mod:`~radimpress.drafting.engines.consensus.text`: reporting sentences, content words, phrases, concepts.
* :mod:`~radimpress.drafting.engines.consensus.index`: TF-IDF index, word associations, indexed reports.
* :mod:`~radimpress.drafting.engines.consensus.candidates`: the candidates, ``FEATURES`` and their score.
* :mod:`~radimpress.drafting.engines.consensus.engine`: ``ConsensusEngine``, ``DEFAULT_WEIGHTS``, abstaining.
* :mod:`~radimpress.drafting.engines.consensus.fit`: ``fit_weights``; ``python -m`` it to refit the weights.
"""

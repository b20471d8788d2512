-- ConcatSeqParams.hs - TidalCycles parameters for ConcatSeq sounds in SuperDirt (see
-- HelpSource/Guides/ConcatSeq_Tidal.schelp). Load it from BootTidal.hs, after the line that starts Tidal
-- (`tidal <- startTidal ...`) and its `let` block:
--
--   :script /path/to/Extensions/ConcatSeq/Classes/tidal/ConcatSeqParams.hs
--
-- Every name starts with "cs": SuperDirt's effects and Tidal's own parameters use none of them.
--   cstemp    model temperature, 0 (most probable label) .. ; default 1
--   cstopk    keep the k most probable labels (0 = off)
--   cstopp    nucleus mass 0..1 (1 = off)
--   cspenalty repetition penalty (1 = off, > 1 avoids repeats)
--   csseed    seed of the orbit's model (re-seeds when it changes)
--   csreset   > 0 resets the orbit's model before this event
--   cssel     unit selection: 0 random, 1 original successor, 2 least recently used
-- With a model every event steps it: `n` >= 0 primes it (teacher forcing: that label plays and is fed), n = -1
-- or no n lets it draw. Without a model `n` is the label (no n: any unit).
:{
let cstemp = pF "cstemp"
    cstopk = pI "cstopk"
    cstopp = pF "cstopp"
    cspenalty = pF "cspenalty"
    csseed = pI "csseed"
    csreset = pI "csreset"
    cssel = pI "cssel"
:}

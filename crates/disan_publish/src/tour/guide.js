// Disan's narrated tour player for a Pannellum tour (the website's tour pages, the Pannellum tour export).
'use strict';
(function () {
  // The narrated tour: each step turns the view (or loads the next scene), shows its text as the caption and
  // plays its narration; the next step follows when the narration ends (or, without one, after time to read).
  window.disanGuidePlayer = function (viewer, steps) {
    var el = function (id) { return document.getElementById(id); };
    var audio = el('guide-audio'), caption = el('guide-caption'), status = el('guide-status');
    var play = el('guide-play'), volume = el('guide-volume');
    var i = -1, playing = false, timer = null;
    window.disanGuide = { steps: steps, index: function () { return i; }, playing: function () { return playing; } };
    function clear() { if (timer) { clearTimeout(timer); timer = null; } }
    function label() { play.textContent = playing ? status.dataset.pause : status.dataset.play; play.setAttribute('aria-pressed', playing ? 'true' : 'false'); }
    function after(ms) { clear(); timer = setTimeout(function () { if (playing) show(i + 1); }, ms); }
    function show(k) {
      clear();
      audio.pause();
      if (k >= steps.length) { playing = false; label(); return; }
      i = Math.max(0, k);
      var s = steps[i];
      status.textContent = status.dataset.step.replace('{i}', i + 1).replace('{n}', steps.length) +
        (s.audio && s.audio.draft ? ' · ' + status.dataset.draft : '');
      caption.textContent = '';
      if (s.title) { var b = document.createElement('strong'); b.textContent = s.title; caption.appendChild(b); }
      if (s.text) caption.appendChild(document.createTextNode((s.title ? ' ' : '') + s.text));
      if (viewer.getScene() !== s.scene) viewer.loadScene(s.scene, s.pitch, s.yaw, s.hfov);
      else viewer.lookAt(s.pitch, s.yaw, s.hfov, 1500);
      if (s.go) {
        if (playing) after(2000);
        return;
      }
      if (s.audio) {
        audio.src = s.audio.src;
        audio.volume = Number(volume.value);
        if (playing) audio.play().catch(function () { after(readTime(s)); });
      } else {
        audio.removeAttribute('src');
        if (playing) after(readTime(s));
      }
    }
    function readTime(s) { return Math.max(4000, ((s.title || '').length + (s.text || '').length) * 70); }
    audio.addEventListener('ended', function () { if (playing) after(800); });
    play.addEventListener('click', function () {
      playing = !playing;
      label();
      if (!playing) { clear(); audio.pause(); return; }
      if (i < 0 || i >= steps.length) show(0);
      else if (steps[i].audio && audio.src && !audio.ended) audio.play().catch(function () {});
      else show(i + 1);
    });
    el('guide-next').addEventListener('click', function () { show(i + 1); });
    el('guide-prev').addEventListener('click', function () { show(i - 1); });
    el('guide-replay').addEventListener('click', function () { show(i < 0 ? 0 : i); });
    volume.addEventListener('input', function () { audio.volume = Number(volume.value); });
    // Space plays or pauses when the focus is on the tour or the player, not in a text field.
    document.addEventListener('keydown', function (e) {
      if (e.key !== ' ' || !e.target.closest || !e.target.closest('#tour, .guide') || e.target.closest('button, input')) return;
      e.preventDefault();
      play.click();
    });
    label();
  };
})();

"""The app's CSS and its few lines of JavaScript (passed to demo.launch as css= and head=).

One capturing click handler turns any citation link (href="#ref-T:c:N") — in a chat answer or in
the sources panel — into a click on the hidden "open" button, whose js= hands the ref to the
/open_citation endpoint. The viewer scrolls its <mark id="quote"> into view after each update.
"""

HEAD = """<script>
(function () {
  if (window.__lmcClick) return;
  window.__lmcClick = true;
  document.addEventListener('click', function (event) {
    var link = event.target && event.target.closest ? event.target.closest('a[href^="#ref-"]') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    window.__lmcRef = decodeURIComponent(link.getAttribute('href').slice(5));
    var button = document.getElementById('lmc-open-btn');
    if (button && button.tagName !== 'BUTTON') button = button.querySelector('button') || button;
    if (button) button.click();
  }, true);
})();
</script>"""

# js= of the hidden open button: the clicked ref replaces the (empty) ref textbox value.
OPEN_JS = "(ref, turns) => [window.__lmcRef || ref, turns]"

# js_on_load of the viewer: after each new document, bring the highlighted quote into view.
SCROLL_JS = """watch('value', function () {
  var mark = element.querySelector('#quote');
  if (!mark) return;
  var box = mark.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
    box = box.parentElement;
  }
  if (box && box !== document.body && box !== document.documentElement) {
    box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
    box.scrollIntoView({block: 'nearest'});
  } else {
    mark.scrollIntoView({block: 'center'});
  }
});"""

COPY_JS = """(text) => {
  if (!text) return [];
  var done = function () {
    var b = document.getElementById('lmc-copy');
    if (b) { b.classList.add('lmc-copied'); setTimeout(function () { b.classList.remove('lmc-copied'); }, 1500); }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done);
  } else {
    var t = document.createElement('textarea');
    t.value = text; document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove(); done();
  }
  return [];
}"""

CSS = """
.lmc-answer-text, .lmc-question { white-space: pre-wrap; }
.lmc-draft { opacity: .7; border-left: 4px dashed #9ca3af; padding-left: .6em; }
.lmc-refusal { border-left: 4px solid #d97706; padding-left: .6em; }
.lmc-badge { display: inline-block; font-size: .8em; font-weight: 600; background: #fef3c7; color: #92400e;
  border-radius: 4px; padding: 0 .4em; margin-bottom: .3em; }
.lmc-error .lmc-badge { background: #fee2e2; color: #991b1b; }
.lmc-searched, .lmc-note { font-size: .85em; opacity: .75; margin-top: .4em; }
a.lmc-cite { font-weight: 600; text-decoration: none; cursor: pointer; color: #2563eb; }
a.lmc-cite:hover { text-decoration: underline; }
mark.lmc-quote { background: #fde68a; color: #111827; padding: 0 1px; }
mark.lmc-parallel { background: #bfdbfe; color: #111827; padding: 0 1px; }
.lmc-sources h3 { margin: .2em 0 .4em; font-size: 1em; }
.lmc-source { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: .5em .6em;
  margin: .5em 0; }
.lmc-closest { border-style: dashed; }
.lmc-closest-title { color: #b45309; }
.lmc-title { font-weight: 600; }
.lmc-meta, .lmc-caption { font-size: .8em; opacity: .75; }
.lmc-text { white-space: pre-wrap; font-size: .9em; line-height: 1.45; }
table.lmc-pairs, table.lmc-parallel-pair { width: 100%; border-collapse: collapse; table-layout: fixed;
  margin: .3em 0; }
table.lmc-pairs td, table.lmc-parallel-pair td { vertical-align: top; padding: .25em .4em;
  border-top: 1px solid var(--border-color-primary); }
table.lmc-pairs th { text-align: left; font-size: .8em; opacity: .7; padding: 0 .4em; }
.lmc-doc-head { position: sticky; top: 0; z-index: 1; background: var(--background-fill-secondary);
  padding: .3em .5em; border-bottom: 2px solid var(--border-color-primary); }
.lmc-doc-body { padding: 0 .5em; }
.lmc-viewer { border: 1px solid var(--border-color-primary); border-radius: 6px; }
.lmc-label { font-size: .75em; text-transform: uppercase; letter-spacing: .05em; opacity: .6; }
.lmc-empty { opacity: .7; font-style: italic; padding: .5em; }
#lmc-copy.lmc-copied::after { content: " ✓ copied"; }
.lmc-page-no { font-size: .75em; opacity: .6; border-top: 1px dashed var(--border-color-primary);
  margin-top: .6em; padding-top: .2em; }
table.lmc-library { width: 100%; border-collapse: collapse; font-size: .9em; }
table.lmc-library td, table.lmc-library th { text-align: left; padding: .25em .4em;
  border-top: 1px solid var(--border-color-primary); vertical-align: top; }
.lmc-refused { color: #991b1b; }
"""

// ledger explorer: keeps the home page current from /explorer/events.
// No inline script is allowed (the Content-Security-Policy forbids it), so
// this file is all the pages run. It builds rows with textContent only.
(function () {
  'use strict';
  var list = document.getElementById('recent-blocks');
  if (!list || typeof EventSource === 'undefined') {
    return;
  }
  var body = list.tBodies[0];
  var max = parseInt(list.getAttribute('data-max'), 10) || 20;
  var tipHeight = document.getElementById('tip-height');
  var tipHash = document.getElementById('tip-hash');
  var tipTime = document.getElementById('tip-time');
  var mempoolCount = document.getElementById('mempool-count');

  function link(hash, text) {
    var a = document.createElement('a');
    a.href = '/explorer/block/' + encodeURIComponent(hash);
    a.textContent = text;
    return a;
  }

  function cell(row, child, cls) {
    var td = document.createElement('td');
    if (cls) {
      td.className = cls;
    }
    if (typeof child === 'string') {
      td.textContent = child;
    } else {
      td.appendChild(child);
    }
    row.appendChild(td);
  }

  function has(hash) {
    for (var i = 0; i < body.rows.length; i++) {
      if (body.rows[i].getAttribute('data-hash') === hash) {
        return true;
      }
    }
    return false;
  }

  function addBlock(ev) {
    if (!/^[0-9a-f]{64}$/.test(ev.hash) || has(ev.hash)) {
      return;
    }
    var row = document.createElement('tr');
    row.setAttribute('data-hash', ev.hash);
    row.className = 'fresh';
    cell(row, link(ev.hash, String(ev.height)));
    cell(row, link(ev.hash, ev.hash), 'hash');
    cell(row, ev.time || '');
    cell(row, String(ev.txs || 0));
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > max) {
      body.deleteRow(body.rows.length - 1);
    }
    var current = parseInt(tipHeight.textContent, 10);
    if (isNaN(current) || ev.height >= current) {
      tipHeight.textContent = String(ev.height);
      if (tipHash) {
        tipHash.textContent = ev.hash;
        tipHash.href = '/explorer/block/' + encodeURIComponent(ev.hash);
      }
      if (tipTime && ev.time) {
        tipTime.textContent = ev.time;
      }
    }
  }

  function setMempool(ev) {
    if (mempoolCount && typeof ev.mempool_count === 'number') {
      mempoolCount.textContent = String(ev.mempool_count);
    }
  }

  var source = new EventSource('/explorer/events');
  source.addEventListener('block', function (m) {
    var ev = JSON.parse(m.data);
    addBlock(ev);
    setMempool(ev);
  });
  source.addEventListener('tx', function (m) {
    setMempool(JSON.parse(m.data));
  });
  source.addEventListener('reorg', function () {
    // Blocks left the main chain: the list is stale, so show the new one.
    window.location.reload();
  });
  window.addEventListener('pagehide', function () {
    source.close();
  });
})();

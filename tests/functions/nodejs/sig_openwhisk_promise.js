// W-js-4: OpenWhisk's docs/actions-nodejs.md `asyncAction.js` (the doc's code, unchanged).
function main(args) {
     return new Promise(function(resolve, reject) {
       setTimeout(function() {
         resolve({ done: true });
       }, 2000);
    })
 }

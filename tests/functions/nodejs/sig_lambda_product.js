// L-js-2: the Lambda guide's urls-tutorial.md function (the doc's code, unchanged), called as the
// tutorial does: POST {"num1": "10", "num2": "10"} → "The product of 10 and 10 is 100".
exports.handler = async (event) => {
    let body = JSON.parse(event.body);
    const product = body.num1 * body.num2;
    const response = {
        statusCode: 200,
        body: "The product of " + body.num1 + " and " + body.num2 + " is " + product,
    };
    return response;
};

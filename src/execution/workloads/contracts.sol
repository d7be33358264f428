// SPDX-License-Identifier: MIT
// Benchmark and test contracts. Compiled with solc-js 0.8.30 (optimizer on, 200 runs, evm cancun)
// by scripts in src/execution/workloads/compile-contracts.ts into contracts.ts.
pragma solidity 0.8.30;

/// Minimal ERC-20: enough for transfer / approve / transferFrom workloads.
contract Token {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    function mint(address to, uint256 amount) external {
        totalSupply += amount;
        balanceOf[to] += amount;
        emit Transfer(address(0), to, amount);
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        emit Transfer(from, to, amount);
        return true;
    }
}

/// Uniswap-V2-style constant-product pair over two Tokens (0.3% fee), without LP shares.
contract Pair {
    Token public immutable token0;
    Token public immutable token1;
    uint112 public reserve0;
    uint112 public reserve1;

    event Swap(address indexed sender, uint256 amountIn, uint256 amountOut, bool zeroForOne);
    event Sync(uint112 reserve0, uint112 reserve1);

    constructor(Token t0, Token t1) {
        token0 = t0;
        token1 = t1;
    }

    /// Pulls liquidity already approved by the caller.
    function addLiquidity(uint256 amount0, uint256 amount1) external {
        token0.transferFrom(msg.sender, address(this), amount0);
        token1.transferFrom(msg.sender, address(this), amount1);
        reserve0 += uint112(amount0);
        reserve1 += uint112(amount1);
        emit Sync(reserve0, reserve1);
    }

    function swap(uint256 amountIn, bool zeroForOne) external returns (uint256 amountOut) {
        (Token tokenIn, Token tokenOut) = zeroForOne ? (token0, token1) : (token1, token0);
        (uint256 reserveIn, uint256 reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
        tokenIn.transferFrom(msg.sender, address(this), amountIn);
        uint256 amountInWithFee = amountIn * 997;
        amountOut = (amountInWithFee * reserveOut) / (reserveIn * 1000 + amountInWithFee);
        require(amountOut > 0, "insufficient output");
        tokenOut.transfer(msg.sender, amountOut);
        if (zeroForOne) {
            reserve0 = uint112(reserveIn + amountIn);
            reserve1 = uint112(reserveOut - amountOut);
        } else {
            reserve1 = uint112(reserveIn + amountIn);
            reserve0 = uint112(reserveOut - amountOut);
        }
        emit Swap(msg.sender, amountIn, amountOut, zeroForOne);
        emit Sync(reserve0, reserve1);
    }
}

/// Shared counter: every call writes the same slot (full contention), optionally reverting.
contract Counter {
    uint256 public count;

    function bump() external {
        count += 1;
    }

    function bumpAndRevert() external {
        count += 1;
        revert("nope");
    }
}
